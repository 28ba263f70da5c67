//! A tool subprocess (`ffmpeg`, `ffprobe`) started the one way every caller starts it.
//!
//! Owns three things each such child needs, so no caller re-implements them:
//! - its **own process group** (`process_group(0)`), so a Ctrl-C or a SIGTERM sent to the
//!   service's group reaches only the service, which then drains, rather than killing the
//!   FFmpeg of a camera mid-clip;
//! - its **stderr drained on a thread of its own**, keeping only the last lines
//!   ([`StderrTail`]), so a child that writes a lot of errors never blocks in `write(2)` on
//!   a full pipe while its caller waits on stdout;
//! - **no orphan**: a [`ToolChild`] dropped before it was waited for kills its process. A
//!   service killed outright still leaves none running for long: a decoder's FFmpeg gets
//!   EPIPE on its stdout, an encoder's sees the end of its stdin;
//! - **wide pipes**: a piped stdin or stdout holds 1 MiB, the most an unprivileged process may
//!   ask for, not Linux's 64 KiB, so raw frames (2.3 MB each at 1440×1080) cross in a few
//!   wake-ups of each side instead of dozens; that halves what moving them costs.
//!
//! It does not judge stderr text: whether a run succeeded is its exit status (and what the
//! caller received on stdout); the tail only explains a failure. What the child reads and
//! writes on stdin/stdout is the caller's business.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines of a child's stderr kept for error messages.
pub const STDERR_TAIL_LINES: usize = 4;

/// Longest stderr line kept, in bytes; longer lines are cut.
const MAX_LINE_BYTES: usize = 400;

/// Capacity asked for a child's stdin and stdout pipes (Linux's default unprivileged limit,
/// `/proc/sys/fs/pipe-max-size`).
const PIPE_BYTES: libc::c_int = 1 << 20;

/// How often a bounded wait looks whether the child has exited.
const WAIT_POLL: Duration = Duration::from_millis(20);

/// The last non-empty lines of a stream, at most `keep` of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StderrTail {
    /// The kept lines, oldest first, trimmed.
    lines: VecDeque<String>,
    /// How many lines to keep.
    keep: usize,
}

impl StderrTail {
    /// An empty tail keeping the last `keep` lines.
    pub fn new(keep: usize) -> Self {
        Self {
            lines: VecDeque::with_capacity(keep),
            keep,
        }
    }

    /// Records `line`; blank lines are ignored, the oldest line is dropped when full.
    pub fn push(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() || self.keep == 0 {
            return;
        }
        if self.lines.len() == self.keep {
            self.lines.pop_front();
        }
        let mut end = line.len().min(MAX_LINE_BYTES);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        self.lines.push_back(line[..end].to_string());
    }

    /// The kept lines joined with `"; "`, so a message stays one line; `"no message"` when empty.
    pub fn one_line(&self) -> String {
        if self.lines.is_empty() {
            return "no message".to_string();
        }
        self.lines.iter().map(String::as_str).collect::<Vec<_>>().join("; ")
    }

    /// Reads `source` to its end, keeping the tail; read errors end the stream.
    fn drain(mut self, source: impl Read) -> Self {
        let mut reader = BufReader::new(source);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return self,
                Ok(_) => self.push(&String::from_utf8_lossy(&line)),
            }
        }
    }
}

/// How a child ended.
#[derive(Debug)]
pub struct Exited {
    /// Its exit status.
    pub status: ExitStatus,
    /// The last lines it wrote on stderr.
    pub stderr: StderrTail,
}

impl Exited {
    /// Whether the tool's log says its output could not be written because the file system is
    /// full (ENOSPC) or read-only (EROFS). Tools such as FFmpeg report the OS error only as its
    /// text in their log, so this is the one place that reads those words.
    pub fn storage_unwritable(&self) -> bool {
        const UNWRITABLE: [&str; 2] = ["No space left on device", "Read-only file system"];
        self.stderr
            .lines
            .iter()
            .any(|line| UNWRITABLE.iter().any(|words| line.contains(words)))
    }

    /// `"exited with <status>: <last stderr lines>"`, for error messages.
    pub fn describe(&self) -> String {
        format!("exited with {}: {}", self.status, self.stderr.one_line())
    }
}

/// A running tool subprocess in its own process group, its stderr being drained.
#[derive(Debug)]
pub struct ToolChild {
    /// The process.
    child: Child,
    /// The thread draining stderr; joined when the child is reaped.
    drain: Option<JoinHandle<StderrTail>>,
    /// The complete stderr tail, once the child has been reaped.
    reaped: Option<StderrTail>,
}

impl ToolChild {
    /// Spawns `command` in a new process group with its stderr piped to a draining thread.
    /// Stdin and stdout are as the caller set them on `command`.
    pub fn spawn(mut command: Command) -> std::io::Result<Self> {
        let mut child = command.process_group(0).stderr(Stdio::piped()).spawn()?;
        if let Some(stdin) = &child.stdin {
            widen_pipe(stdin);
        }
        if let Some(stdout) = &child.stdout {
            widen_pipe(stdout);
        }
        let pipe = child.stderr.take().expect("stderr is piped above");
        let drained = std::thread::Builder::new()
            .name("fb-tool-stderr".into())
            .spawn(move || StderrTail::new(STDERR_TAIL_LINES).drain(pipe));
        match drained {
            Ok(handle) => Ok(Self {
                child,
                drain: Some(handle),
                reaped: None,
            }),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(err)
            }
        }
    }

    /// Runs `command` to its end with stdin closed; returns how it ended and all of its stdout.
    pub fn output(mut command: Command) -> std::io::Result<(Exited, Vec<u8>)> {
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = Self::spawn(command)?;
        let mut stdout = Vec::new();
        if let Some(mut pipe) = child.take_stdout() {
            pipe.read_to_end(&mut stdout)?;
        }
        Ok((child.wait()?, stdout))
    }

    /// The child's stdout, if piped and not taken yet.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The child's stdin, if piped and not taken yet.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    /// Waits for the child to exit.
    pub fn wait(&mut self) -> std::io::Result<Exited> {
        let status = self.child.wait()?;
        Ok(self.reap(status))
    }

    /// Waits at most `limit` for the child to exit; `None` if it is still running.
    pub fn wait_at_most(&mut self, limit: Duration) -> std::io::Result<Option<Exited>> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(self.reap(status)));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Kills the child (SIGKILL) and reaps it; how it ended if it had already exited.
    pub fn kill(&mut self) -> std::io::Result<Exited> {
        if self.reaped.is_none() {
            // An error here means it has already exited; `wait` reaps it either way.
            let _ = self.child.kill();
        }
        self.wait()
    }

    /// Collects the stderr tail (complete: the pipe ends with the child) once, and returns
    /// how the child ended; asking again gives the same answer.
    fn reap(&mut self, status: ExitStatus) -> Exited {
        let drain = self.drain.take();
        let stderr = self.reaped.get_or_insert_with(|| {
            drain
                .and_then(|drain| drain.join().ok())
                .unwrap_or_else(|| StderrTail::new(STDERR_TAIL_LINES))
        });
        Exited {
            status,
            stderr: stderr.clone(),
        }
    }
}

/// Asks for a [`PIPE_BYTES`] pipe; a system that refuses keeps its default, which only costs
/// speed.
fn widen_pipe(pipe: &impl AsRawFd) {
    // SAFETY: F_SETPIPE_SZ on a descriptor this process owns, with an integer argument; it
    // changes only the pipe's capacity and fails harmlessly on anything else.
    unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_BYTES) };
}

impl Drop for ToolChild {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capacity of `pipe` in bytes.
    fn pipe_capacity(pipe: &impl AsRawFd) -> libc::c_int {
        // SAFETY: F_GETPIPE_SZ reads the capacity of a descriptor this process owns.
        unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ) }
    }

    #[test]
    fn a_childs_frame_pipes_hold_a_mebibyte() {
        let limit: libc::c_int = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut command = Command::new("cat");
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = ToolChild::spawn(command).unwrap();
        let (stdin, stdout) = (child.take_stdin().unwrap(), child.take_stdout().unwrap());
        assert_eq!(pipe_capacity(&stdin), PIPE_BYTES.min(limit));
        assert_eq!(pipe_capacity(&stdout), PIPE_BYTES.min(limit));
        assert!(PIPE_BYTES.min(limit) > 65536, "wider than Linux's default");
        drop(stdin);
        assert!(child.wait().unwrap().status.success());
    }

    #[test]
    fn the_tail_keeps_the_last_non_blank_lines_in_order() {
        let mut tail = StderrTail::new(3);
        for line in ["one\n", "  \n", "two", "three\r\n", "four"] {
            tail.push(line);
        }
        assert_eq!(tail.one_line(), "two; three; four");
        assert_eq!(StderrTail::new(3).one_line(), "no message");
    }

    #[test]
    fn the_tail_cuts_a_long_line_on_a_character_boundary() {
        let mut tail = StderrTail::new(1);
        tail.push(&"é".repeat(1000));
        let kept = tail.one_line();
        assert!(
            kept.len() <= MAX_LINE_BYTES && kept.len() >= MAX_LINE_BYTES - 1,
            "{}",
            kept.len()
        );
        assert!(kept.chars().all(|c| c == 'é'));
    }

    /// A child writing 1 MiB on stderr before anything on stdout: with an undrained stderr pipe
    /// (64 KiB) it would block forever and its stdout would never end.
    #[test]
    fn a_full_or_read_only_disk_in_the_log_is_recognised() {
        let run = |script: &str| {
            let mut command = Command::new("sh");
            command.args(["-c", script]);
            ToolChild::output(command).unwrap().0
        };
        let full = run("echo 'av_interleaved_write_frame(): No space left on device' >&2; exit 1");
        assert!(full.storage_unwritable(), "{}", full.describe());
        let read_only = run("echo 'out.mp4: Read-only file system' >&2; exit 1");
        assert!(read_only.storage_unwritable());
        let other = run("echo 'Invalid data found when processing input' >&2; exit 1");
        assert!(!other.storage_unwritable());
    }

    #[test]
    fn a_child_flooding_stderr_does_not_block_its_stdout() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "yes 'an error line' | head -n 80000 >&2; echo done; echo last words >&2; exit 3",
        ]);
        let (exited, stdout) = ToolChild::output(command).unwrap();
        assert_eq!(stdout, b"done\n");
        assert_eq!(exited.status.code(), Some(3));
        let message = exited.describe();
        assert!(message.ends_with("; last words"), "{message}");
        assert_eq!(message.matches("; ").count(), STDERR_TAIL_LINES - 1, "{message}");
    }

    /// Field 5 (the process group) of `/proc/<pid>/stat`, after the parenthesised name.
    fn process_group_of(pid: u32) -> u32 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat.rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .nth(2)
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn the_child_leads_its_own_process_group_and_dies_when_dropped() {
        let mut command = Command::new("sleep");
        command.arg("600");
        let mut child = ToolChild::spawn(command).unwrap();
        let pid = child.child.id();
        assert_eq!(process_group_of(pid), pid);
        assert_ne!(process_group_of(std::process::id()), pid);
        assert!(child.wait_at_most(Duration::from_millis(100)).unwrap().is_none());
        drop(child);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "sleep {pid} still exists"
        );
    }
}
