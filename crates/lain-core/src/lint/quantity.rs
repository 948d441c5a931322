//! Kubernetes resource quantities (`256Mi`, `500m`, `1.5`, `1e3`): parsing, and formatting the
//! numbers lain suggests.
//!
//! Values are kept as `f64` in base units (bytes or cores): lain only compares quantities and
//! prints rounded suggestions, and f64 is exact for every integer byte count below 2^53 (8 PiB).

use serde_json::Value;

pub const KI: f64 = 1024.0;
pub const MI: f64 = 1024.0 * 1024.0;
pub const GI: f64 = 1024.0 * 1024.0 * 1024.0;

/// The suffix as written, which is what some checks are about (`m` on memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suffix {
    /// A bare number.
    None,
    /// `Ki`, `Mi`, … : the power of 1024.
    Binary(u32),
    /// `n`, `u`, `m`, `k`, `M`, … : the power of 10.
    Decimal(i32),
    /// `e3`, `E-2`: the power of 10.
    Exponent(i32),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// In base units: bytes for memory, cores for CPU.
    pub value: f64,
    pub suffix: Suffix,
}

impl Quantity {
    /// Written with the `m` (milli) suffix: right for CPU, almost surely a mistake for memory.
    pub fn is_milli(&self) -> bool {
        self.suffix == Suffix::Decimal(-3)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Kubernetes quantity (examples: 256Mi, 1Gi for memory; 500m, 2 for CPU)")]
pub struct QuantityError(pub String);

/// Parses a quantity as Kubernetes does: a signed decimal number and an optional suffix.
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    let err = || QuantityError(s.to_string());
    let t = s.trim();
    // Split the number from the suffix: the number is sign, digits and at most one dot.
    let num_end = t.char_indices().find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-')))).map(|(i, _)| i).unwrap_or(t.len());
    let (num, suffix) = t.split_at(num_end);
    if !num.chars().any(|c| c.is_ascii_digit()) || num.matches('.').count() > 1 {
        return Err(err());
    }
    let number: f64 = num.parse().map_err(|_| err())?;
    let suffix = parse_suffix(suffix).ok_or_else(err)?;
    let factor = match suffix {
        Suffix::None => 1.0,
        Suffix::Binary(p) => KI.powi(p as i32),
        Suffix::Decimal(p) | Suffix::Exponent(p) => 10f64.powi(p),
    };
    Ok(Quantity { value: number * factor, suffix })
}

fn parse_suffix(s: &str) -> Option<Suffix> {
    Some(match s {
        "" => Suffix::None,
        "Ki" => Suffix::Binary(1),
        "Mi" => Suffix::Binary(2),
        "Gi" => Suffix::Binary(3),
        "Ti" => Suffix::Binary(4),
        "Pi" => Suffix::Binary(5),
        "Ei" => Suffix::Binary(6),
        "n" => Suffix::Decimal(-9),
        "u" => Suffix::Decimal(-6),
        "m" => Suffix::Decimal(-3),
        "k" => Suffix::Decimal(3),
        "M" => Suffix::Decimal(6),
        "G" => Suffix::Decimal(9),
        "T" => Suffix::Decimal(12),
        "P" => Suffix::Decimal(15),
        "E" => Suffix::Decimal(18),
        _ => {
            let rest = s.strip_prefix('e').or_else(|| s.strip_prefix('E'))?;
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            Suffix::Exponent(rest.parse().ok()?)
        }
    })
}

/// A quantity as it appears in values: a string, or a YAML number (`cpu: 1`, `cpu: 0.5`).
pub fn from_value(v: &Value) -> Result<Quantity, QuantityError> {
    match v {
        Value::String(s) => parse(s),
        Value::Number(n) => {
            let f = n.as_f64().ok_or_else(|| QuantityError(n.to_string()))?;
            Ok(Quantity { value: f, suffix: Suffix::None })
        }
        other => Err(QuantityError(other.to_string())),
    }
}

/// Memory for people and manifests: the largest binary unit that divides it exactly
/// (`512Mi`, `2Gi`), else whole `Mi` rounded up.
pub fn format_memory(bytes: f64) -> String {
    let b = bytes.max(0.0).ceil();
    for (unit, name) in [(GI, "Gi"), (MI, "Mi")] {
        if b >= unit && (b % unit) == 0.0 {
            return format!("{}{name}", (b / unit) as u64);
        }
    }
    if b < MI && b % KI == 0.0 && b > 0.0 {
        return format!("{}Ki", (b / KI) as u64);
    }
    if b < MI {
        return format!("{}", b as u64);
    }
    format!("{}Mi", (b / MI).ceil() as u64)
}

/// CPU for people and manifests: whole cores as `2`, anything else in millicores (`1500m`).
// `is_multiple_of` needs Rust 1.87; the workspace supports 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub fn format_cpu(cores: f64) -> String {
    let milli = (cores.max(0.0) * 1000.0).round() as u64;
    if milli % 1000 == 0 && milli > 0 { format!("{}", milli / 1000) } else { format!("{milli}m") }
}

/// Rounds a memory size up to a step that reads well and does not pretend to a precision the
/// P95 does not have: 1Mi below 100Mi, 10Mi below 1Gi, 64Mi above.
pub fn round_memory_up(bytes: f64) -> f64 {
    let step = if bytes < 100.0 * MI {
        MI
    } else if bytes < GI {
        10.0 * MI
    } else {
        64.0 * MI
    };
    ((bytes / step).ceil() * step).max(step)
}

/// Rounds CPU up to 5m below 100m, 10m below 1 core, 100m above; never below 5m.
pub fn round_cpu_up(cores: f64) -> f64 {
    let milli = cores * 1000.0;
    let step = if milli < 100.0 {
        5.0
    } else if milli < 1000.0 {
        10.0
    } else {
        100.0
    };
    // Tiny float noise (0.1 * 3 = 0.30000000000000004) must not push a value up a step.
    let steps = ((milli / step) - 1e-9).ceil().max(1.0);
    steps * step / 1000.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_binary_decimal_and_exponent() {
        assert_eq!(parse("256Mi").unwrap().value, 256.0 * MI);
        assert_eq!(parse("1Gi").unwrap().value, GI);
        assert_eq!(parse("1.5Gi").unwrap().value, 1.5 * GI);
        assert_eq!(parse("128974848").unwrap().value, 128974848.0);
        assert_eq!(parse("129e6").unwrap().value, 129e6);
        assert_eq!(parse("129E6").unwrap().suffix, Suffix::Exponent(6));
        assert_eq!(parse("123M").unwrap().value, 123e6);
        assert_eq!(parse("1k").unwrap().value, 1000.0);
        assert_eq!(parse("1E").unwrap().suffix, Suffix::Decimal(18));
        assert!((parse("500m").unwrap().value - 0.5).abs() < 1e-12);
        assert!((parse("0.1").unwrap().value - 0.1).abs() < 1e-12);
        assert!((parse("250u").unwrap().value - 0.00025).abs() < 1e-15);
        assert!(parse("256m").unwrap().is_milli());
        assert!(!parse("256Mi").unwrap().is_milli());
        assert_eq!(parse("-1").unwrap().value, -1.0);
        assert_eq!(parse(" 2 ").unwrap().value, 2.0);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "Mi", "1MB", "1mi", "1.2.3", "1e", "1e+", "abc", "1 Gi", "1Gib", ".", "--1"] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn from_yaml_numbers() {
        assert_eq!(from_value(&serde_json::json!(1)).unwrap().value, 1.0);
        assert_eq!(from_value(&serde_json::json!(0.5)).unwrap().value, 0.5);
        assert!(from_value(&serde_json::json!(true)).is_err());
    }

    #[test]
    fn formats_memory_and_cpu() {
        assert_eq!(format_memory(2.0 * GI), "2Gi");
        assert_eq!(format_memory(512.0 * MI), "512Mi");
        assert_eq!(format_memory(1536.0 * MI), "1536Mi");
        assert_eq!(format_memory(100.5 * MI), "101Mi");
        assert_eq!(format_memory(64.0 * KI), "64Ki");
        assert_eq!(format_memory(1000.0), "1000");
        assert_eq!(format_cpu(0.25), "250m");
        assert_eq!(format_cpu(2.0), "2");
        assert_eq!(format_cpu(1.5), "1500m");
        assert_eq!(format_cpu(0.0), "0m");
    }

    #[test]
    fn rounds_to_readable_steps() {
        assert_eq!(round_memory_up(37.2 * MI), 38.0 * MI);
        assert_eq!(round_memory_up(301.0 * MI), 310.0 * MI);
        assert_eq!(round_memory_up(1.01 * GI), 1088.0 * MI);
        assert_eq!(round_memory_up(0.0), MI);
        assert!((round_cpu_up(0.0123) - 0.015).abs() < 1e-12);
        assert!((round_cpu_up(0.3) - 0.3).abs() < 1e-12);
        assert!((round_cpu_up(0.1 * 3.0) - 0.3).abs() < 1e-12);
        assert!((round_cpu_up(1.234) - 1.3).abs() < 1e-12);
        assert!((round_cpu_up(0.0) - 0.005).abs() < 1e-12);
        // Round trip of what lain prints.
        assert_eq!(parse(&format_memory(round_memory_up(301.0 * MI))).unwrap().value, 310.0 * MI);
        assert_eq!(format_cpu(round_cpu_up(0.123)), "130m");
    }
}
