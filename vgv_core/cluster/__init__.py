"""`vgv explain --ray` and `vgv eval --ray`: the same per-video job and the same per-batch
scoring as in one process, run by model-holding Ray actors across a cluster.

- connection: which cluster `--ray` names (local:N, auto, ADDRESS), joined or started on
  loopback; Ray itself is an optional extra, imported only here.
- workers: one long-lived actor per worker slot (a GPU, or ``--threads`` CPUs) loads the
  model once; the pool hands it tasks and polls its progress.
- explain_worker / explain_run: one task per video, the run manifest, the run's bar and
  summary. eval_worker / eval_run: ranges of batches and the sanity check as tasks, merged.
"""
