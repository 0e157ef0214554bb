//! `alert.cert_days`: a certificate's days left told once per threshold crossed, and
//! again for a renewed certificate when it in turn comes near one.

/// What a check has told of its certificate: the lowest threshold told (for the
/// certificate it watches now) and the days left it last saw. Four bytes (every queued
/// write carries a check's state): 0 is "none told", `i16::MIN` "none seen"; days are
/// clamped to ±32,767 (some 90 years), past any certificate's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertWatch {
    told: u16,
    days: i16,
}

impl Default for CertWatch {
    fn default() -> CertWatch {
        CertWatch { told: 0, days: NONE }
    }
}

const NONE: i16 = i16::MIN;

impl CertWatch {
    /// As kept: the threshold told, the days last seen.
    pub fn new(told: Option<u16>, days: Option<i16>) -> CertWatch {
        CertWatch { told: told.unwrap_or(0), days: days.filter(|d| *d != NONE).unwrap_or(NONE) }
    }

    /// The lowest threshold told for the certificate watched now.
    pub fn told(&self) -> Option<u16> {
        (self.told != 0).then_some(self.told)
    }

    /// The days left it last saw.
    pub fn days(&self) -> Option<i16> {
        (self.days != NONE).then_some(self.days)
    }

    /// Sees `days` left; the threshold to tell now, if one was crossed. `thresholds` are
    /// the days to tell at, any order. Several crossed at once (a first probe, a long
    /// pause) are told once, as the lowest. Days that grow (a renewal) start over.
    pub fn see(&mut self, days: i64, thresholds: &[u16]) -> Option<u16> {
        // Clamped: `NONE` itself is never a day seen.
        let days = i16::try_from(days).unwrap_or(if days < 0 { NONE + 1 } else { i16::MAX }).max(NONE + 1);
        if self.days().is_some_and(|before| days > before) {
            self.told = 0;
        }
        self.days = days;
        let crossed = thresholds.iter().copied().filter(|t| *t > 0 && i32::from(days) <= i32::from(*t)).min()?;
        if self.told().is_some_and(|told| told <= crossed) {
            return None;
        }
        self.told = crossed;
        Some(crossed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_threshold_is_told_once_and_a_renewal_starts_over() {
        let thresholds = [30, 14, 7, 1];
        let mut watch = CertWatch::default();
        let told: Vec<Option<u16>> =
            [45, 31, 30, 29, 15, 14, 13, 8, 7, 6, 1, 0, -1].iter().map(|d| watch.see(*d, &thresholds)).collect();
        assert_eq!(
            told,
            [None, None, Some(30), None, None, Some(14), None, None, Some(7), None, Some(1), None, None],
            "once per threshold"
        );
        assert_eq!(watch.see(89, &thresholds), None, "renewed: nothing to tell");
        assert_eq!(watch.told(), None);
        assert_eq!(watch.see(30, &thresholds), Some(30), "the new certificate nears the first threshold");

        let mut late = CertWatch::default();
        assert_eq!(late.see(5, &thresholds), Some(7), "first seen at 5 days: told once, as 7");
        assert_eq!(late.see(5, &thresholds), None);
        assert_eq!(late.see(4, &thresholds), None, "no threshold between");
        assert_eq!(late.see(i64::MIN, &thresholds), Some(1), "days past any range are clamped, not wrapped");
        assert_eq!(late.days(), Some(i16::MIN + 1));
        assert_eq!(CertWatch::new(late.told(), late.days()), late, "kept and read back as it was");
    }
}
