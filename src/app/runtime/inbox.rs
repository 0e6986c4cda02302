//! Notes from other terminals into the open session: while the incident
//! screen holds an incident's log, `mayday note` cannot append to it, so it
//! hands its notes to the session through a Unix socket next to the log
//! (`<id>.sock`, mode 0600, removed when the session lets go). Each line
//! the client sends is one note as a JSON string; each line it gets back is
//! `saved N` once that note is synced to disk, or `error: …`.
//!
//! The listener task owns the socket and talks to the event loop with
//! owned values: a note and the one-shot channel its answer goes back on.

use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

/// The longest note line taken (a pasted log is fine; a stream is not).
const MAX_LINE: usize = 256 * 1024;

/// A note that arrived, and where its answer goes.
#[derive(Debug)]
pub struct Incoming {
    pub text: String,
    pub reply: oneshot::Sender<String>,
}

/// The socket of one incident, listened on while it lives.
pub struct Inbox {
    pub incident_id: String,
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

/// Where an incident's inbox is.
pub fn socket_path(incidents_dir: &Path, id: &str) -> PathBuf {
    incidents_dir.join(format!("{id}.sock"))
}

impl Inbox {
    /// Listen at `path` (a stale socket from a crashed session is replaced).
    pub fn open(
        path: PathBuf,
        incident_id: String,
        tx: mpsc::UnboundedSender<Incoming>,
    ) -> std::io::Result<Inbox> {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(stream, tx.clone()));
            }
        });
        Ok(Inbox {
            incident_id,
            path,
            task,
        })
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(stream: tokio::net::UnixStream, tx: mpsc::UnboundedSender<Incoming>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) | Err(_) => return,
        };
        let answer = if line.len() > MAX_LINE {
            "error: the note is too long".to_owned()
        } else {
            match serde_json::from_str::<String>(&line) {
                Ok(text) => {
                    let (reply, answer) = oneshot::channel();
                    if tx.send(Incoming { text, reply }).is_err() {
                        return;
                    }
                    answer.await.unwrap_or_else(|_| {
                        "error: the session closed before the note was saved".into()
                    })
                }
                Err(_) => "error: each line must be a JSON string".to_owned(),
            }
        };
        if write
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}
