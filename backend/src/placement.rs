//! Where engine work runs. Most of it is short: a lookup, a token check, one native RSA private
//! operation (a quarter of a millisecond). Sent to the blocking pool, such work costs two thread
//! hand-offs, about as much again as the work, and 32 clients at once keep 32 pool threads
//! fighting over the cores. Some work is long (generating RSA keys, rewrapping every
//! registration of a key) and would stall the other requests of a runtime thread. So every run
//! is timed (in CPU time: on a busy pool a short run can wait long between its slices),
//! wherever it ran, and each kind of work runs where the request is once it has been
//! seen short, unless one of its runs took longer than [`IN_PLACE_LIMIT`]: then it stays on
//! the pool until it has been short again, a minute or more later.

use std::{
    any::TypeId,
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

/// The longest run that still counts as short: long enough for an RSA-4096 private operation on
/// a slow core, short enough that the requests queued behind it barely notice.
pub const IN_PLACE_LIMIT: Duration = Duration::from_millis(2);
/// How long one long run keeps its kind on the pool.
const REMEMBERED_FOR: Duration = Duration::from_secs(60);

/// What was last seen of each kind of work (a closure type: one per call site and endpoint).
#[derive(Default)]
pub struct Placement {
    kinds: RwLock<HashMap<TypeId, Seen>>,
}

#[derive(Clone, Copy)]
enum Seen {
    Short,
    Long { at: Instant },
}

/// Where to run one piece of work.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    InPlace,
    Pool,
}

impl Placement {
    pub fn place(&self, kind: TypeId) -> Place {
        let kinds = self.kinds.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        match kinds.get(&kind) {
            Some(Seen::Short) => Place::InPlace,
            Some(Seen::Long { .. }) | None => Place::Pool,
        }
    }

    /// Records how long a run of `kind` took.
    pub fn ran(&self, kind: TypeId, took: Duration, now: Instant) {
        let seen = if took > IN_PLACE_LIMIT { Seen::Long { at: now } } else { Seen::Short };
        let known = self.kinds.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&kind).copied();
        // A short run does not clear a long one still remembered (it would have run on the pool).
        let unchanged = match (known, seen) {
            (Some(Seen::Short), Seen::Short) => true,
            (Some(Seen::Long { at }), Seen::Short) => now.duration_since(at) < REMEMBERED_FOR,
            _ => false,
        };
        if !unchanged {
            self.kinds.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(kind, seen);
        }
    }
}

/// The CPU time the calling thread has used.
pub fn thread_cpu_time() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(time.tv_sec.max(0) as u64, time.tv_nsec.clamp(0, 999_999_999) as u32)
}

#[cfg(test)]
mod tests {
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
    fn work_runs_in_place_once_seen_short_and_on_the_pool_for_a_minute_after_a_long_run() {
        let placement = Placement::default();
        let (lookup, keygen) = (TypeId::of::<Lookup>(), TypeId::of::<Keygen>());
        let start = Instant::now();
        assert_eq!(placement.place(lookup), Place::Pool, "unknown work goes to the pool");
        placement.ran(lookup, Duration::from_micros(300), start);
        assert_eq!(placement.place(lookup), Place::InPlace);
        placement.ran(keygen, Duration::from_millis(400), start);
        assert_eq!(placement.place(keygen), Place::Pool);
        placement.ran(keygen, Duration::from_micros(10), start + Duration::from_secs(1));
        assert_eq!(placement.place(keygen), Place::Pool, "a short run soon after does not clear a long one");
        placement.ran(keygen, Duration::from_millis(400), start + REMEMBERED_FOR * 5);
        assert_eq!(placement.place(keygen), Place::Pool, "long work stays on the pool however rare");
        placement.ran(keygen, Duration::from_micros(10), start + REMEMBERED_FOR * 7);
        assert_eq!(placement.place(keygen), Place::InPlace, "short again, a minute later");
        placement.ran(lookup, IN_PLACE_LIMIT * 2, start);
        assert_eq!(placement.place(lookup), Place::Pool, "one long run is enough");
    }
}
