//! Cron schedules for the CronJobs neo4j-aks renders. A schedule must satisfy two parsers:
//! croner (which computes the next runs we show) and the API server's (robfig/cron standard
//! syntax), so anything only one of them understands is refused here, with the reason.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Descriptors both parsers accept.
const DESCRIPTORS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

pub fn check(schedule: &str) -> Result<(), String> {
    let text = schedule.trim();
    if text.contains("TZ=") {
        return Err(format!(
            "{schedule:?}: Kubernetes refuses a time zone inside the schedule; schedules run in UTC here"
        ));
    }
    if text.starts_with('@') {
        return if DESCRIPTORS.contains(&text.to_ascii_lowercase().as_str()) {
            Ok(())
        } else {
            Err(format!(
                "{schedule:?} is not a schedule; use 5 fields (\"0 2 * * *\") or one of {}",
                DESCRIPTORS.join(", ")
            ))
        };
    }
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "{schedule:?} has {fields} fields; Kubernetes CronJobs take 5: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\""
        ));
    }
    // croner's Quartz-style modifiers: L and W in day-of-month, L and # in day-of-week (after
    // the weekday names, which contain W and L-free letters, are taken out).
    let fields: Vec<String> = text
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let day_of_week = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        .iter()
        .fold(fields[4].clone(), |field, name| field.replace(name, ""));
    let modifier = fields[2]
        .chars()
        .find(|c| matches!(c, 'L' | 'W' | '#'))
        .or_else(|| day_of_week.chars().find(|c| matches!(c, 'L' | 'W' | '#')));
    if let Some(c) = modifier {
        return Err(format!(
            "{schedule:?}: '{c}' is not understood by the Kubernetes CronJob controller"
        ));
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    parser
        .parse(text)
        .map(|_: Cron| ())
        .map_err(|e| format!("{schedule:?} is not a valid schedule: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_both_parsers_accept() {
        for ok in [
            "0 2 * * *",
            "*/15 * * * *",
            "0 4 * * 0",
            "0 3 1-7 * MON",
            "30 1 * JAN,JUL *",
            "0 2 * * WED-FRI",
            "@daily",
            "@weekly",
            "@hourly",
        ] {
            assert!(
                check(ok).is_ok(),
                "{ok} should be accepted: {:?}",
                check(ok)
            );
        }
    }

    #[test]
    fn refuses_what_either_parser_refuses() {
        for (bad, words) in [
            ("0 0 2 * * *", "6 fields"),
            ("0 2 * *", "4 fields"),
            ("0 2 L * *", "'L'"),
            ("0 2 * * 5#3", "'#'"),
            ("0 2 15W * *", "'W'"),
            ("CRON_TZ=Europe/Berlin 0 2 * * *", "time zone"),
            ("@every 1h", "not a schedule"),
            ("61 2 * * *", "not a valid schedule"),
            ("0 25 * * *", "not a valid schedule"),
            ("tomorrow", "1 fields"),
        ] {
            let error = check(bad).expect_err(bad);
            assert!(error.contains(words), "{bad}: {error}");
        }
    }
}
