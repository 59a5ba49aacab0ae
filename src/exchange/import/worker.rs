//! The one thread that reads and checks import files for this instance. A file of 20 MB becomes
//! tens of MB of rows and plan while it is checked; the allocator keeps freed memory per thread,
//! so files checked on whichever thread of a pool was free would each leave their peak behind on
//! another thread. On one thread, one file's memory is reused by the next.

use std::sync::{mpsc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

pub struct ImportWorker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl ImportWorker {
    /// Starts the thread; it ends when the worker is dropped.
    pub fn start() -> std::io::Result<ImportWorker> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("imports".into()).spawn(move || {
            for job in queue {
                // A failing job must not take the thread (and every later import) with it.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    log::error!("an import job panicked");
                }
            }
        })?;
        Ok(ImportWorker { jobs: Mutex::new(jobs) })
    }

    /// Runs `work` on the import thread; None if it panicked or the thread is gone.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.lock().ok()?.send(job).ok()?;
        result.await.ok()
    }
}
