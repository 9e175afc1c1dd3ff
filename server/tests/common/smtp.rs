//! A real SMTP server for e-mail tests: Python's aiosmtpd (installed by scripts/test) on a free
//! port, keeping every message it accepts in a maildir.
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

/// One accepted message: its headers and its text parts, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub raw: String,
}

impl ReceivedMail {
    pub fn header(&self, name: &str) -> String {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let line = self.raw.lines().find(|line| line.to_ascii_lowercase().starts_with(&prefix)).unwrap_or_default();
        line[prefix.len().min(line.len())..].trim().to_owned()
    }

    /// The message with quoted-printable soft breaks and escapes undone, for `contains` checks.
    pub fn text(&self) -> String {
        let joined = self.raw.replace("=\r\n", "").replace("=\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'=', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("sluice-mail-{}", uuid::Uuid::new_v4().simple()));
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir);
        let child = super::spawn_listening(command, port, "aiosmtpd (python3 -m pip install aiosmtpd)").await;
        SmtpServer { port, dir, child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
        files.iter().filter_map(|path| std::fs::read_to_string(path).ok()).map(|raw| ReceivedMail { raw }).collect()
    }

    /// Waits until `n` messages have come (at most `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n || tokio::time::Instant::now() >= deadline {
                assert!(received.len() >= n, "{} of {n} e-mails came within {within:?}", received.len());
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
