//! Simulated time: real elapsed time times a scale factor, plus whatever a test stepped forward.
//! Every timestamp the simulator writes (creation, conditions, events) comes from here, so a test
//! that scales time by 50 sees a 30-second readiness delay pass in 0.6 s.
//!
//! Timestamps must look real to clients that compare them with their own clock (kubectl
//! describe's event ages, dashboards): a time in the host's future prints as `<invalid>`. A
//! clock that runs faster than the host's can only stay in its past if it starts in the past,
//! so a scaled clock starts a *head start* behind the host clock (one hour by default, see
//! [`default_head_start`]) and may run that far ahead before it catches up with the host. Ages
//! computed by the server itself (Table responses: `kubectl get`'s AGE) use this clock and are
//! always consistent; ages computed by clients read older by whatever head start is left.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

#[derive(Debug)]
struct Anchor {
    real: Instant,
    sim: Timestamp,
    scale: f64,
}

#[derive(Debug)]
pub struct Clock {
    anchor: Mutex<Anchor>,
}

/// How far behind the host clock a clock of this scale starts when the caller does not say:
/// none at real time (so a sandbox at scale 1 is exact), one hour when time runs faster.
pub fn default_head_start(scale: f64) -> Duration {
    if scale > 1.0 { Duration::from_secs(3600) } else { Duration::ZERO }
}

impl Clock {
    pub fn new(scale: f64) -> Self {
        Self::with_head_start(scale, default_head_start(scale))
    }

    /// A clock that starts `head_start` before the host's current time.
    pub fn with_head_start(scale: f64, head_start: Duration) -> Self {
        let back = SignedDuration::try_from(head_start).unwrap_or(SignedDuration::ZERO);
        let now = Timestamp::now();
        let sim = now.checked_sub(back).unwrap_or(now);
        Self { anchor: Mutex::new(Anchor { real: Instant::now(), sim, scale }) }
    }

    /// Simulated minus host time: negative while the simulated clock is behind the host's
    /// (timestamps it writes then look real to every client).
    pub fn lead(&self) -> SignedDuration {
        self.now().duration_since(Timestamp::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Anchor> {
        self.anchor.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> Timestamp {
        let a = self.lock();
        Self::now_locked(&a)
    }

    fn now_locked(a: &Anchor) -> Timestamp {
        let elapsed = a.real.elapsed().as_secs_f64() * a.scale;
        let d = SignedDuration::from_secs_f64(elapsed);
        a.sim.checked_add(d).unwrap_or(a.sim)
    }

    /// Re-anchors at the current simulated instant so that later changes apply from now on.
    fn reanchor(a: &mut Anchor) {
        a.sim = Self::now_locked(a);
        a.real = Instant::now();
    }

    pub fn advance(&self, d: Duration) {
        let mut a = self.lock();
        Self::reanchor(&mut a);
        let sd = SignedDuration::try_from(d).unwrap_or(SignedDuration::ZERO);
        a.sim = a.sim.checked_add(sd).unwrap_or(a.sim);
    }

    pub fn set_scale(&self, scale: f64) {
        let mut a = self.lock();
        Self::reanchor(&mut a);
        a.scale = scale;
    }

    pub fn scale(&self) -> f64 {
        self.lock().scale
    }

    /// Real time it takes for `sim` of simulated time to pass (for streaming/timeouts).
    pub fn real_for(&self, sim: Duration) -> Duration {
        let s = self.scale();
        if s <= 0.0 { Duration::from_secs(3600) } else { sim.div_f64(s) }
    }
}

/// RFC 3339 with second precision, as metav1.Time serialises.
pub fn fmt_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// Seconds between two RFC 3339 strings / timestamps (later - earlier), negative if reversed.
pub fn secs_since(now: Timestamp, earlier: &str) -> f64 {
    parse_time(earlier).map(|t| now.duration_since(t).as_secs_f64()).unwrap_or(0.0)
}
