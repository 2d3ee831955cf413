//! Ctrl-C: the handler sets a flag and the engine checks it before each play and task, so a run
//! stops between tasks instead of mid-change. It does not install the signal handler; the binary
//! does.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Called from the Ctrl-C handler: the engine stops before the next task.
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// True once the user pressed Ctrl-C.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
