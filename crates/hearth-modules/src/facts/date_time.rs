//! `ansible_date_time` from one `date -f -` call on the host: the first line is "now", the
//! other two are January 1 and July 1 of this year, which give the daylight-saving zone name the
//! way Python's `time.tzname[1]` does. Local fields come from the host's clock and zone; the
//! `iso8601`/`iso8601_micro` fields are UTC, computed here from the epoch. Does not read the
//! control node's clock.

use chrono::DateTime;

use hearth_formats::value::{Map, Value};

/// The `date` format the gather script prints (C locale), one line per date.
pub const DATE_FORMAT: &str = "+%Y %m %A %w %W %d %H %M %S %s.%N %Z %z";

/// One line of `date DATE_FORMAT`, split into its words.
struct Line<'a> {
    w: Vec<&'a str>,
}

impl<'a> Line<'a> {
    fn parse(text: &'a str) -> Option<Line<'a>> {
        let w: Vec<&str> = text.split_whitespace().collect();
        (w.len() == 12).then_some(Line { w })
    }

    fn zone(&self) -> &'a str {
        self.w[10]
    }

    /// The UTC offset in minutes (`+0130` → 90), for comparing zones.
    fn offset_minutes(&self) -> i64 {
        let z = self.w[11];
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let digits = z.trim_start_matches(['+', '-']);
        let n: i64 = digits.parse().unwrap_or(0);
        sign * ((n / 100) * 60 + n % 100)
    }
}

/// The `date_time` fact, or an empty map when the output is not what the script prints.
pub fn facts(text: &str) -> Map {
    let mut lines = text.lines().filter_map(Line::parse);
    let Some(now) = lines.next() else { return Map::new() };
    let w = &now.w;
    let (year, month, weekday, weekday_number, weeknumber, day) = (w[0], w[1], w[2], w[3], w[4], w[5]);
    let (hour, minute, second) = (w[6], w[7], w[8]);
    // `%s.%N`; `%N` is GNU (busybox prints it literally or not at all): zero microseconds then.
    let (epoch, nanos) = w[9].split_once('.').unwrap_or((w[9], ""));
    let micro: String = if nanos.len() >= 6 && nanos.bytes().all(|b| b.is_ascii_digit()) {
        nanos[..6].to_string()
    } else {
        "000000".to_string()
    };
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.into(), Value::String(v));
    };
    put("year", year.into());
    put("month", month.into());
    put("weekday", weekday.into());
    put("weekday_number", weekday_number.into());
    put("weeknumber", weeknumber.into());
    put("day", day.into());
    put("hour", hour.into());
    put("minute", minute.into());
    put("second", second.into());
    put("epoch", epoch.into());
    put("epoch_int", epoch.into());
    put("date", format!("{year}-{month}-{day}"));
    put("time", format!("{hour}:{minute}:{second}"));
    let secs: Option<i64> = epoch.parse().ok();
    if let Some(utc) = secs.and_then(|s| DateTime::from_timestamp(s, 0)) {
        let base = utc.format("%Y-%m-%dT%H:%M:%S");
        put("iso8601_micro", format!("{base}.{micro}Z"));
        put("iso8601", format!("{base}Z"));
    }
    put("iso8601_basic", format!("{year}{month}{day}T{hour}{minute}{second}{micro}"));
    put("iso8601_basic_short", format!("{year}{month}{day}T{hour}{minute}{second}"));
    put("tz", now.zone().into());
    put("tz_dst", dst_name(&now, lines.next(), lines.next()).into());
    put("tz_offset", w[11].into());
    m
}

/// Python's `time.tzname[1]`: of January's and July's zone, the one further east (summer time
/// is ahead of standard time); January's when they are equal; the current zone when unknown.
fn dst_name<'a>(now: &Line<'a>, jan: Option<Line<'a>>, jul: Option<Line<'a>>) -> &'a str {
    match (jan, jul) {
        (Some(jan), Some(jul)) if jul.offset_minutes() > jan.offset_minutes() => jul.zone(),
        (Some(jan), _) => jan.zone(),
        _ => now.zone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_in_winter() {
        let text = "2026 12 Thursday 4 48 03 19 48 36 1796323716.623604511 CET +0100\n\
                    2026 01 Thursday 4 00 01 00 00 00 1767222000.000000000 CET +0100\n\
                    2026 07 Wednesday 3 26 01 00 00 00 1782856800.000000000 CEST +0200\n";
        let f = facts(text);
        assert_eq!(f["date"], "2026-12-03");
        assert_eq!(f["time"], "19:48:36");
        assert_eq!(f["iso8601"], "2026-12-03T18:48:36Z");
        assert_eq!(f["iso8601_micro"], "2026-12-03T18:48:36.623604Z");
        assert_eq!(f["iso8601_basic"], "20261203T194836623604");
        assert_eq!(f["iso8601_basic_short"], "20261203T194836");
        assert_eq!(f["tz"], "CET");
        assert_eq!(f["tz_dst"], "CEST");
        assert_eq!(f["tz_offset"], "+0100");
        assert_eq!(f["weekday"], "Thursday");
        assert_eq!(f["weekday_number"], "4");
        assert_eq!(f["weeknumber"], "48");
        assert_eq!(f["epoch"], "1796323716");
        assert_eq!(f["epoch_int"], "1796323716");
        assert_eq!(f.len(), 20);
    }

    #[test]
    fn southern_summer_time_and_busybox() {
        let sydney = "2026 12 Thursday 4 48 04 05 48 36 1796323716.1 AEDT +1100\n\
                      2026 01 Thursday 4 00 01 00 00 00 1767186000.0 AEDT +1100\n\
                      2026 07 Wednesday 3 26 01 00 00 00 1782828000.0 AEST +1000\n";
        assert_eq!(facts(sydney)["tz_dst"], "AEDT");
        // busybox: no `-f`, no `%N`: one line, zero microseconds, the zone as its own DST name.
        let f = facts("2026 12 Thursday 4 48 03 18 48 36 1796323716.%N UTC +0000\n");
        assert_eq!(f["iso8601_micro"], "2026-12-03T18:48:36.000000Z");
        assert_eq!(f["tz_dst"], "UTC");
        assert!(facts("").is_empty());
    }
}
