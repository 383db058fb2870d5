//! Where engine work runs. Most of it is short: a lookup, a token check, one native RSA private
//! operation (a quarter of a millisecond). Sent to the blocking pool, such work costs two thread
//! hand-offs, about as much again as the work, and 32 clients at once keep 32 pool threads
//! fighting over the cores. Some work is long (generating RSA keys, rewrapping every
//! registration of a key) and would stall the other requests of a runtime thread. So every run
//! is timed (in CPU time: on a busy pool a short run can wait long between its slices),
//! wherever it ran, and each kind of work runs where the request is once its last
//! [`SHORT_RUNS`] runs were all short; until then, and after any long run, on the pool.

use std::{any::TypeId, collections::HashMap, sync::RwLock, time::Duration};

/// The longest run that still counts as short: long enough for an RSA-4096 private operation on
/// a slow core, short enough that the requests queued behind it barely notice.
pub const IN_PLACE_LIMIT: Duration = Duration::from_millis(2);
/// Short runs in a row before a kind of work runs in place: a first run that paid for something
/// once (parsing a key, seeding a generator) does not keep it on the pool for long, and work
/// that is sometimes long has to be short many times first.
const SHORT_RUNS: u32 = 8;

/// How many runs of each kind of work (a closure type: one per call site and endpoint) in a row
/// were short.
#[derive(Default)]
pub struct Placement {
    short_runs: RwLock<HashMap<TypeId, u32>>,
}

/// Where to run one piece of work.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    InPlace,
    Pool,
}

impl Placement {
    pub fn place(&self, kind: TypeId) -> Place {
        let short_runs = self.short_runs.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        match short_runs.get(&kind) {
            Some(runs) if *runs >= SHORT_RUNS => Place::InPlace,
            _ => Place::Pool,
        }
    }

    /// Records how long a run of `kind` took.
    pub fn ran(&self, kind: TypeId, took: Duration) {
        let short = took <= IN_PLACE_LIMIT;
        let known =
            self.short_runs.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&kind).copied();
        // Once in place, a short run changes nothing: no write lock on the hot path.
        if short && known.is_some_and(|runs| runs >= SHORT_RUNS) {
            return;
        }
        let mut short_runs = self.short_runs.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let runs = short_runs.entry(kind).or_default();
        *runs = if short { runs.saturating_add(1) } else { 0 };
    }
}

/// The CPU time the calling thread has used.
pub fn thread_cpu_time() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(time.tv_sec.max(0) as u64, time.tv_nsec.clamp(0, 999_999_999) as u32)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    struct Lookup;
    struct Keygen;

    #[test]
    fn thread_cpu_time_counts_work_not_waiting() {
        let before = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(20));
        assert!(thread_cpu_time() - before < Duration::from_millis(10), "sleeping uses no CPU");
        let busy = Instant::now();
        while busy.elapsed() < Duration::from_millis(20) {}
        assert!(thread_cpu_time() - before >= Duration::from_millis(15), "spinning does");
    }

    #[test]
    fn work_runs_in_place_after_enough_short_runs_and_on_the_pool_after_a_long_one() {
        let placement = Placement::default();
        let (lookup, keygen) = (TypeId::of::<Lookup>(), TypeId::of::<Keygen>());
        assert_eq!(placement.place(lookup), Place::Pool, "unknown work goes to the pool");
        // A first run that paid for something once, then short ones.
        placement.ran(lookup, Duration::from_millis(5));
        for _ in 0..SHORT_RUNS - 1 {
            placement.ran(lookup, Duration::from_micros(300));
        }
        assert_eq!(placement.place(lookup), Place::Pool, "not yet");
        placement.ran(lookup, Duration::from_micros(300));
        assert_eq!(placement.place(lookup), Place::InPlace);
        for _ in 0..100 {
            placement.ran(keygen, Duration::from_millis(400));
        }
        assert_eq!(placement.place(keygen), Place::Pool, "long work stays on the pool");
        placement.ran(lookup, IN_PLACE_LIMIT * 2);
        assert_eq!(placement.place(lookup), Place::Pool, "one long run is enough to leave");
    }
}
