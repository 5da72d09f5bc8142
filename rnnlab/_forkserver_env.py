"""The training forkserver imports this first, before numpy: one OpenBLAS thread in every training
child (unless the person running rnnlab set OPENBLAS_NUM_THREADS).

numpy's OpenBLAS starts a pool of one thread per core in each process. In a training child that
pool only serves the data steps (the unit-root test, the linear baseline, the evaluation); its
threads fought the child's own torch threads, the server and the browser for the cores: a child's
setup took 0.06-0.33 s instead of 0.02-0.09 s on 2 cores (0.15-0.5 s under the app's load), and that
setup stands between a Train click and the first loss point. Torch's threads are set per job
(rnnlab/forkserver.py)."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
