"""Edge operations for unattended runs: camera health, MQTT, Prometheus metrics, the HTTP
live view and the events folder's retention. Everything here is per camera (``cam0`` for
the single camera of today's command line), so that several pipelines can plug in."""
