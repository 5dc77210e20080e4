//! util-linux's System V IPC tools (`ipcs`, `ipcmk`, `ipcrm`, `lsipc`, as in 2.38) on
//! sysv-ipc's API: each a function over argument strings and two output streams, run
//! by a thin `main` in `src/bin/`.
