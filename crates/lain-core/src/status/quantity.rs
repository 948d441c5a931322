//! Quantities as the dashboard shows them: CPU in millicores, memory in bytes, and back to short
//! human strings (`250m`, `1.5Gi`).

use crate::config::quantity::parse;

pub fn cpu_millis(q: &str) -> Option<u64> {
    parse(q).map(|cores| (cores * 1000.0).round() as u64)
}

pub fn mem_bytes(q: &str) -> Option<u64> {
    parse(q).map(|b| b.round() as u64)
}

pub fn fmt_cpu(m: u64) -> String {
    // Whole cores print as cores; from 10 cores up the millicores are noise.
    if m >= 10_000 || (m >= 1000 && m.is_multiple_of(1000)) { format!("{}", m / 1000) } else { format!("{m}m") }
}

pub fn fmt_mem(b: u64) -> String {
    const U: &[(&str, u64)] = &[("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
    for (s, n) in U {
        if b >= *n {
            let v = b as f64 / *n as f64;
            return if v >= 10.0 || v.fract() == 0.0 { format!("{:.0}{s}", v) } else { format!("{:.1}{s}", v) };
        }
    }
    format!("{b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(cpu_millis("250m"), Some(250));
        assert_eq!(cpu_millis("1.5"), Some(1500));
        assert_eq!(cpu_millis("100000n"), Some(0));
        assert_eq!(mem_bytes("128Mi"), Some(128 << 20));
        assert_eq!(fmt_cpu(250), "250m");
        assert_eq!(fmt_cpu(2000), "2");
        assert_eq!(fmt_mem(128 << 20), "128Mi");
        assert_eq!(fmt_mem(1536 << 20), "1.5Gi");
        assert_eq!(fmt_mem(512), "512");
    }
}
