//! What one run of pipeline code may use, and how a run that hit a limit is told apart.
//!
//! Memory and processes are kernel resource limits set inside the sandbox: memory per process
//! (`RLIMIT_DATA`, which counts what a process allocates but not address space it only reserves,
//! so runtimes like the JVM and V8 still start), processes per sandbox (`RLIMIT_NPROC`, counted per
//! user namespace, so one run's fork bomb does not starve another). A process that meets either
//! limit sees an allocation or `fork` fail, and says so in its output; that line is how the
//! action's summary names the limit. Output is counted by Sluice as it reads it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one process may allocate.
    pub memory_bytes: u64,
    /// Processes (and threads) alive at once in one sandbox.
    pub processes: u64,
    /// Bytes of output (stdout and stderr together) one run may write to its log.
    pub output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_bytes: 4 << 30, processes: 1024, output_bytes: 64 << 20 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Memory,
    Processes,
    Output,
}

impl Limits {
    /// "the sandbox's limit of 1024 processes", for summaries.
    pub fn describe(&self, limit: Limit) -> String {
        match limit {
            Limit::Memory => format!("the sandbox's memory limit of {} per process", bytes(self.memory_bytes)),
            Limit::Processes => format!("the sandbox's limit of {} processes", self.processes),
            Limit::Output => format!("the output limit of {}", bytes(self.output_bytes)),
        }
    }
}

/// The limit a line of output says was reached: what shells, libc, Python, Perl, Node, the JVM
/// and Rust print when a `fork` or an allocation fails.
pub fn reached_in(line: &str) -> Option<Limit> {
    const PROCESSES: [&str; 4] =
        ["fork: retry", "fork: Resource temporarily unavailable", "Cannot fork", "fork failed"];
    const MEMORY: [&str; 6] = [
        "Cannot allocate memory",
        "Out of memory",
        "MemoryError",
        "memory allocation of",
        "bad_alloc",
        "heap out of memory",
    ];
    if PROCESSES.iter().any(|p| line.contains(p))
        || (line.contains("Resource temporarily unavailable") && line.to_ascii_lowercase().contains("fork"))
    {
        Some(Limit::Processes)
    } else if MEMORY.iter().any(|m| line.contains(m)) {
        Some(Limit::Memory)
    } else {
        None
    }
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_their_limit() {
        assert_eq!(reached_in("bash: fork: retry: Resource temporarily unavailable"), Some(Limit::Processes));
        assert_eq!(reached_in("fork failed: Resource temporarily unavailable at -e line 1."), Some(Limit::Processes));
        assert_eq!(
            reached_in("BlockingIOError: [Errno 11] Resource temporarily unavailable (fork)"),
            Some(Limit::Processes)
        );
        assert_eq!(reached_in("Out of memory in perl:util:safesysmalloc"), Some(Limit::Memory));
        assert_eq!(reached_in("memory allocation of 8589934592 bytes failed"), Some(Limit::Memory));
        assert_eq!(reached_in("all good"), None);
    }

    #[test]
    fn limits_read_naturally() {
        let limits = Limits::default();
        assert_eq!(limits.describe(Limit::Memory), "the sandbox's memory limit of 4 GiB per process");
        assert_eq!(limits.describe(Limit::Output), "the output limit of 64 MiB");
        assert_eq!(limits.describe(Limit::Processes), "the sandbox's limit of 1024 processes");
    }
}
