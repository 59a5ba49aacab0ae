//! SQLite's one writer inside the server. SQLite lets one transaction write at a time; writers
//! that race for that lock sleep in its busy handler (up to 100 ms between tries), which is what
//! made a crowd of writers slow and their tail long. Here every write of the server is sent to
//! one thread with its own connection. The thread takes all the writes waiting, runs them in one
//! transaction, each inside its own savepoint (a write that fails rolls back alone and gets its
//! own error), commits once — one fsync for the group, `synchronous=FULL` unchanged — and only
//! then answers them. Reads keep their pool. Other processes on the same file (the command line,
//! a second server) still meet this one through the busy handler.

use super::DbConn;
use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

/// Writes that may wait for the writer; one more is turned away (503) rather than queued.
pub const QUEUE: usize = 1024;

/// Most writes committed together: bounds how long the first of a group waits for the last.
const GROUP: usize = 256;

/// Why a write never ran.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("the write queue is full")]
    Busy,
    #[error("the writer stopped")]
    Stopped,
}

/// One write waiting for the writer: it runs inside its savepoint, then hears whether the group
/// it ran in was committed.
trait Command: Send {
    /// Runs the write; true when it succeeded, so its savepoint is kept.
    fn run(&mut self, conn: &mut DbConn) -> bool;
    /// Answers the caller once the group's commit is known.
    fn answer(self: Box<Self>, commit: Result<(), &DieselError>);
}

struct Pending<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Command for Pending<T, E, F>
where
    T: Send,
    E: From<DieselError> + Send,
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut DbConn) -> bool {
        let Some(work) = self.work.take() else { return false };
        let before = depth(conn);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| conn.transaction(work)));
        if result.is_err() {
            // A panicking write loses only its own savepoint (diesel does not roll back on a
            // panic); its caller hears the writer stopped.
            while depth(conn) > before {
                let DbConn::Sqlite(inner) = conn else { break };
                if AnsiTransactionManager::rollback_transaction(inner).is_err() {
                    break;
                }
            }
        }
        let ok = matches!(result, Ok(Ok(_)));
        self.result = result.ok();
        ok
    }

    fn answer(self: Box<Self>, commit: Result<(), &DieselError>) {
        let answer = match (self.result, commit) {
            (Some(Err(refused)), _) => Some(Err(refused)),
            (Some(Ok(value)), Ok(())) => Some(Ok(value)),
            (Some(Ok(_)), Err(e)) | (None, Err(e)) => Some(Err(E::from(copy_of(e)))),
            // It panicked: dropping the reply tells the caller the writer stopped.
            (None, Ok(())) => None,
        };
        if let Some(answer) = answer {
            // The caller may have gone (a closed connection); its write stands all the same.
            let _ = self.reply.send(answer);
        }
    }
}

/// A failed commit answers every write of the group, each with its own error value.
fn copy_of(e: &DieselError) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(format!("the group commit failed: {e}")))
}

/// The handle requests send their writes through.
#[derive(Clone)]
pub struct Writer {
    queue: SyncSender<Box<dyn Command>>,
}

impl Writer {
    /// Opens the writer's own connection to the SQLite file at `url` and starts its thread.
    pub fn start(url: &str) -> Result<Writer, super::DbError> {
        let conn = super::connection::establish(url)?;
        let (queue, waiting) = sync_channel(QUEUE);
        let url = url.to_string();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_groups(&url, conn, waiting))
            .map_err(|e| super::DbError::Connect { backend: "SQLite", reason: e.to_string() })?;
        Ok(Writer { queue })
    }

    /// Runs `work` in the writer's transaction and answers once it is durable (or refused).
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DieselError> + From<WriterError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let pending = Pending { work: Some(work), result: None, reply };
        self.queue.try_send(Box::new(pending)).map_err(|e| match e {
            TrySendError::Full(_) => WriterError::Busy,
            TrySendError::Disconnected(_) => WriterError::Stopped,
        })?;
        answer.await.map_err(|_| WriterError::Stopped)?
    }

    /// `run` for a thread outside the async runtime (the import thread): waits for its turn
    /// rather than being turned away, since an import's write is asked for once, by a person
    /// who is watching it.
    pub fn run_blocking<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DieselError> + From<WriterError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let pending = Pending { work: Some(work), result: None, reply };
        self.queue.send(Box::new(pending)).map_err(|_| WriterError::Stopped)?;
        answer.blocking_recv().map_err(|_| WriterError::Stopped)?
    }
}

fn write_groups(url: &str, mut conn: DbConn, waiting: Receiver<Box<dyn Command>>) {
    while let Ok(first) = waiting.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match waiting.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let commit = write_group(&mut conn, &mut group);
        if let Err(e) = &commit {
            log::error!("a group of {} writes was not committed: {e}", group.len());
        }
        for command in group {
            command.answer(commit.as_ref().map(|_| ()));
        }
        if !idle(&mut conn) {
            // A rollback that failed leaves the connection inside a transaction: start afresh.
            match super::connection::establish(url) {
                Ok(fresh) => conn = fresh,
                Err(e) => log::error!("the writer cannot reopen the database: {e}"),
            }
        }
    }
}

/// How many transactions and savepoints are open on the connection.
fn depth(conn: &mut DbConn) -> u32 {
    let DbConn::Sqlite(inner) = conn else { return 0 };
    match AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth() {
        Ok(depth) => depth.map_or(0, |d| d.get()),
        Err(_) => u32::MAX,
    }
}

/// True when the connection is outside any transaction and usable.
fn idle(conn: &mut DbConn) -> bool {
    let DbConn::Sqlite(inner) = conn else { return false };
    matches!(AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth(), Ok(None))
}

/// One transaction for the group: `BEGIN IMMEDIATE`, a savepoint per write, one commit.
fn write_group(conn: &mut DbConn, group: &mut [Box<dyn Command>]) -> Result<(), DieselError> {
    let DbConn::Sqlite(inner) = conn else {
        return Err(DieselError::BrokenTransactionManager);
    };
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    let mut any = false;
    for command in group.iter_mut() {
        // Exactly the group's transaction must be open before each write and before the commit.
        // SQLite rolls a whole transaction back on some errors (disk full, I/O): a write run
        // after that would commit on its own, and a commit at another depth would only release
        // a savepoint; either way the group's answers would be wrong. The group fails instead.
        if depth(conn) != 1 {
            break;
        }
        any |= command.run(conn);
    }
    let DbConn::Sqlite(inner) = conn else {
        return Err(DieselError::BrokenTransactionManager);
    };
    if !matches!(AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth(), Ok(Some(d)) if d.get() == 1)
    {
        let _ = inner.batch_execute("ROLLBACK");
        return Err(DieselError::BrokenTransactionManager);
    }
    // A group whose writes were all refused has nothing to make durable.
    let end = if any {
        AnsiTransactionManager::commit_transaction(inner)
    } else {
        AnsiTransactionManager::rollback_transaction(inner)
    };
    if end.is_err() {
        let _ = AnsiTransactionManager::rollback_transaction(inner);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;
    use futures_util::FutureExt;

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }

    fn numbers(url: &str) -> Vec<i32> {
        let mut conn = super::super::connection::establish(url).expect("connection");
        diesel::sql_query("SELECT n FROM t ORDER BY n")
            .load::<Row>(&mut conn)
            .expect("rows")
            .into_iter()
            .map(|r| r.n)
            .collect()
    }

    /// A writer on a fresh file with table `t`, held busy until the returned sender is used.
    fn blocked_writer(dir: &tempfile::TempDir) -> (String, Writer, std::sync::mpsc::Sender<()>) {
        let url = dir.path().join("w.db").to_string_lossy().into_owned();
        let mut conn = super::super::connection::establish(&url).expect("connection");
        conn.batch_execute("CREATE TABLE t (n INTEGER NOT NULL UNIQUE)").expect("table");
        let writer = Writer::start(&url).expect("writer");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let holding = writer.run(move |_conn: &mut DbConn| -> Result<(), Failed> {
            let _ = started.send(());
            let _ = wait.recv();
            Ok(())
        });
        // Polled once: queued; the writer takes it off the queue and waits inside it.
        assert!(holding.now_or_never().is_none());
        running.recv().expect("the writer runs the holding write");
        (url, writer, release)
    }

    fn insert(n: i32) -> impl FnOnce(&mut DbConn) -> Result<i32, Failed> + Send + 'static {
        move |conn| {
            diesel::sql_query(format!("INSERT INTO t (n) VALUES ({n})")).execute(conn)?;
            Ok(n)
        }
    }

    #[derive(Debug)]
    enum Failed {
        Db(#[allow(dead_code)] DieselError),
        Writer(WriterError),
    }
    impl From<DieselError> for Failed {
        fn from(e: DieselError) -> Self {
            Failed::Db(e)
        }
    }
    impl From<WriterError> for Failed {
        fn from(e: WriterError) -> Self {
            Failed::Writer(e)
        }
    }

    type Work = Box<dyn FnOnce(&mut DbConn) -> Result<i32, Failed> + Send>;

    /// Queues `insert(1)`, `middle` and `insert(3)` behind the held write, releases it and
    /// gives the three answers: they run as one group.
    fn group_of_three(
        runtime: &tokio::runtime::Runtime,
        writer: &Writer,
        release: std::sync::mpsc::Sender<()>,
        middle: impl FnOnce(&mut DbConn) -> Result<i32, Failed> + Send + 'static,
    ) -> (Result<i32, Failed>, Result<i32, Failed>, Result<i32, Failed>) {
        runtime.block_on(async {
            let spawn = |work: Work| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.run(work).await })
            };
            let first = spawn(Box::new(insert(1)));
            let second = spawn(Box::new(middle));
            let third = spawn(Box::new(insert(3)));
            tokio::task::yield_now().await;
            release.send(()).expect("release");
            (first.await.expect("task"), second.await.expect("task"), third.await.expect("task"))
        })
    }

    #[test]
    fn a_failing_write_rolls_back_alone_in_its_group() {
        let dir = tempfile::tempdir().expect("dir");
        let (url, writer, release) = blocked_writer(&dir);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let outcome = group_of_three(&runtime, &writer, release, |conn: &mut DbConn| {
            insert(2)(conn)?;
            insert(1)(conn)?; // UNIQUE: this write fails after writing 2
            Ok(2)
        });
        assert!(matches!(outcome.0, Ok(1)), "{:?}", outcome.0);
        assert!(matches!(outcome.1, Err(Failed::Db(_))), "{:?}", outcome.1);
        assert!(matches!(outcome.2, Ok(3)), "{:?}", outcome.2);
        assert_eq!(numbers(&url), vec![1, 3], "the failed write's first insert was rolled back with it");
    }

    #[test]
    fn a_panicking_write_loses_only_its_own_savepoint() {
        let dir = tempfile::tempdir().expect("dir");
        let (url, writer, release) = blocked_writer(&dir);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let outcome = group_of_three(&runtime, &writer, release, |conn: &mut DbConn| {
            insert(2)(conn)?;
            panic!("a bug in a write");
        });
        assert!(matches!(outcome.0, Ok(1)), "{:?}", outcome.0);
        assert!(matches!(outcome.1, Err(Failed::Writer(WriterError::Stopped))), "{:?}", outcome.1);
        assert!(matches!(outcome.2, Ok(3)), "{:?}", outcome.2);
        assert_eq!(numbers(&url), vec![1, 3], "the panicking write's insert was rolled back, the others kept");
        let after = runtime.block_on(writer.run(insert(4)));
        assert!(matches!(after, Ok(4)), "the writer goes on: {after:?}");
        assert_eq!(numbers(&url), vec![1, 3, 4]);
    }

    #[test]
    fn a_full_queue_turns_writes_away_instead_of_queueing_them() {
        let dir = tempfile::tempdir().expect("dir");
        let (url, writer, release) = blocked_writer(&dir);
        for n in 0..QUEUE as i32 {
            assert!(writer.run(insert(100 + n)).now_or_never().is_none(), "write {n} queued");
        }
        let refused = writer.run(insert(1)).now_or_never();
        assert!(matches!(refused, Some(Err(Failed::Writer(WriterError::Busy)))), "{refused:?}");
        release.send(()).expect("release");
        // The queued writes still run, although their callers stopped listening.
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let mut answer = runtime.block_on(writer.run(insert(2)));
        for _ in 0..1000 {
            if !matches!(answer, Err(Failed::Writer(WriterError::Busy))) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            answer = runtime.block_on(writer.run(insert(2)));
        }
        answer.expect("accepted once the queue drained");
        assert_eq!(numbers(&url).len(), QUEUE + 1);
    }
}
