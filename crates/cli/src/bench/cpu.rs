//! The bench client's own CPU time (getrusage of this process), so a saturated client is seen
//! beside the numbers it produced instead of hiding behind them.

use std::time::{Duration, Instant};

use serde::Serialize;

/// User and system CPU time of this process, and when they were read.
#[derive(Clone, Copy, Debug)]
pub struct CpuSample {
    user: Duration,
    system: Duration,
    at: Instant,
}

impl CpuSample {
    /// getrusage(RUSAGE_SELF): every thread of the process (the Tokio workers included).
    pub fn now() -> std::io::Result<Self> {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: RUSAGE_SELF is a valid `who`, and the pointer is to a zeroed rusage that lives
        // for the whole call; getrusage writes only into it.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: getrusage returned 0, so it filled the struct (and it was zeroed before).
        let usage = unsafe { usage.assume_init() };
        Ok(CpuSample {
            user: timeval(usage.ru_utime),
            system: timeval(usage.ru_stime),
            at: Instant::now(),
        })
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// The client's CPU between two samples.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClientCpu {
    pub user_seconds: f64,
    pub system_seconds: f64,
    pub wall_seconds: f64,
    /// (user + system) / wall: 1.0 means one core busy for the whole run.
    pub cores_used: f64,
    /// Cores this process may run on; `cores_used` near this means the client was the bottleneck.
    pub cores_available: usize,
}

impl ClientCpu {
    pub fn between(start: CpuSample, end: CpuSample) -> Self {
        let user = end.user.saturating_sub(start.user).as_secs_f64();
        let system = end.system.saturating_sub(start.system).as_secs_f64();
        let wall = end.at.saturating_duration_since(start.at).as_secs_f64();
        ClientCpu {
            user_seconds: user,
            system_seconds: system,
            wall_seconds: wall,
            cores_used: if wall > 0.0 {
                (user + system) / wall
            } else {
                0.0
            },
            cores_available: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Share of the available cores the client used (0.0 to 1.0).
    pub fn saturation(&self) -> f64 {
        self.cores_used / self.cores_available.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_shows_as_user_cpu() {
        let start = CpuSample::now().expect("getrusage");
        let spin_until = Instant::now() + Duration::from_millis(200);
        let mut x: u64 = 0;
        while Instant::now() < spin_until {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let cpu = ClientCpu::between(start, CpuSample::now().expect("getrusage"));
        // Other tests' threads count too (same process), and a loaded machine may give this
        // thread less than a core: only a lower bound far below the 0.2 s spent spinning.
        assert!(cpu.user_seconds + cpu.system_seconds >= 0.02, "{cpu:?}");
        assert!(cpu.wall_seconds >= 0.2, "{cpu:?}");
        assert!(cpu.cores_used > 0.0, "{cpu:?}");
        assert!(cpu.cores_available >= 1);
    }
}
