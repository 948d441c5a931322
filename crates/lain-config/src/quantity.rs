//! Kubernetes resource quantities, as far as validation needs them: is `80m` a sane memory
//! value (no: that is 0.08 bytes, surely meant `80Mi`), and is `0.5` a valid cpu.

/// Parses a quantity into its value in base units (bytes, or cores), or `None` if Kubernetes
/// would reject it.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suf, mult) in SUFFIXES {
        if let Some(num) = q.strip_suffix(suf) {
            return number(num).map(|n| n * mult);
        }
    }
    // Decimal exponent form (1e3) is valid too.
    number(q)
}

fn number(s: &str) -> Option<f64> {
    if s.is_empty() || s.starts_with('+') && s.len() == 1 {
        return None;
    }
    let ok = s.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c));
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| *v >= 0.0)
}

/// Why a memory quantity is wrong, and what was probably meant.
pub fn memory_problem(q: &str) -> Option<(String, String)> {
    let t = q.trim();
    if let Some(num) = t.strip_suffix('m')
        && number(num).is_some()
    {
        return Some((format!("memory \"{t}\" means {num} millibytes (m is milli, not mega)"), format!("write {num}Mi")));
    }
    for (bad, good) in [("mi", "Mi"), ("gi", "Gi"), ("MB", "M or Mi"), ("GB", "G or Gi"), ("Mb", "Mi"), ("Gb", "Gi"), ("mb", "Mi"), ("gb", "Gi"), ("g", "Gi")] {
        if let Some(num) = t.strip_suffix(bad)
            && number(num).is_some()
        {
            return Some((format!("memory \"{t}\" is not a Kubernetes quantity"), format!("write {num}{}", good.split(' ').next().unwrap_or(good))));
        }
    }
    match parse(t) {
        None => Some((format!("memory \"{t}\" is not a Kubernetes quantity"), "write e.g. 256Mi or 1Gi".into())),
        Some(v) if v > 0.0 && v < 1024.0 * 1024.0 => {
            Some((format!("memory \"{t}\" is under 1Mi, too small for any container"), "write e.g. 256Mi (Mi = mebibytes)".into()))
        }
        _ => None,
    }
}

/// Why a cpu quantity is wrong.
pub fn cpu_problem(q: &str) -> Option<(String, String)> {
    match parse(q) {
        None => Some((format!("cpu \"{}\" is not a Kubernetes quantity", q.trim()), "write e.g. 100m (0.1 core) or 1".into())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("256Mi"), Some(256.0 * 1048576.0));
        assert_eq!(parse("1G"), Some(1e9));
        assert_eq!(parse("100m"), Some(0.1));
        assert_eq!(parse("0.5"), Some(0.5));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("-1"), None);
    }

    #[test]
    fn memory_mistakes_are_explained() {
        let (msg, fix) = memory_problem("80m").unwrap();
        assert!(msg.contains("millibytes"), "{msg}");
        assert_eq!(fix, "write 80Mi");
        assert_eq!(memory_problem("1gi").unwrap().1, "write 1Gi");
        assert!(memory_problem("512").is_some());
        assert!(memory_problem("256Mi").is_none());
        assert!(memory_problem("1G").is_none());
    }

    #[test]
    fn cpu() {
        assert!(cpu_problem("100m").is_none());
        assert!(cpu_problem("2").is_none());
        assert!(cpu_problem("two").is_some());
    }
}
