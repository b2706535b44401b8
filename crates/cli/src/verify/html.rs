//! `--html FILE`: the results table and two plots as inline SVG drawn with plotters: ready
//! members over time during each disruptive check, and each measured duration against its
//! limit. The page is well-formed XML (XHTML), so any XML parser reads it back.

use plotters::prelude::*;

use super::matrix::{Outcome, Report};

const WIDTH: u32 = 760;
const HEIGHT: u32 = 320;

/// Text for an XHTML page, with the characters XML gives meaning to escaped.
fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn drawing_error<E: std::fmt::Display>(e: E) -> String {
    format!("drawing a plot: {e}")
}

/// Ready members against seconds since the disruption, one line per disruptive check.
fn timeline_svg(report: &Report) -> Result<Option<String>, String> {
    let lines: Vec<_> = report
        .results
        .iter()
        .filter(|r| !r.timeline.is_empty())
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let x_max = lines
        .iter()
        .flat_map(|r| r.timeline.iter().map(|p| p.seconds))
        .fold(1.0_f64, f64::max);
    let y_max = lines
        .iter()
        .flat_map(|r| r.timeline.iter().map(|p| p.ready_members))
        .max()
        .unwrap_or(1)
        + 1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Ready members during the disruptive checks",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..x_max * 1.05, 0..y_max)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the disruption")
            .y_desc("ready members")
            .draw()
            .map_err(drawing_error)?;
        for (i, result) in lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    result.timeline.iter().map(|p| (p.seconds, p.ready_members)),
                    color.stroke_width(2),
                ))
                .map_err(drawing_error)?
                .label(result.id.name())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            // Samples without quorum as red dots on the line.
            chart
                .draw_series(
                    result
                        .timeline
                        .iter()
                        .filter(|p| !p.quorum)
                        .map(|p| Circle::new((p.seconds, p.ready_members), 3, RED.filled())),
                )
                .map_err(drawing_error)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Some(svg))
}

/// Each measured duration as a bar, its limit (when it has one) as a black mark.
fn durations_svg(report: &Report) -> Result<Option<String>, String> {
    let bars: Vec<(String, f64, Option<f64>)> = report
        .results
        .iter()
        .flat_map(|r| {
            r.measurements.iter().map(move |m| {
                (
                    format!("{} {}", r.id.name(), m.name),
                    m.seconds,
                    m.limit_seconds,
                )
            })
        })
        .collect();
    if bars.is_empty() {
        return Ok(None);
    }
    let y_max = bars
        .iter()
        .flat_map(|(_, s, l)| [Some(*s), *l])
        .flatten()
        .fold(1.0_f64, f64::max)
        * 1.15;
    let names: Vec<String> = bars.iter().map(|(n, _, _)| n.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Measured durations (limit marked)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..bars.len() as f64, 0.0..y_max)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len() * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - i as f64 - 0.5).abs() < 0.01 {
                    names.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("seconds")
            .draw()
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, seconds, limit))| {
                let over = limit.is_some_and(|l| *seconds > l);
                let color = if over { RED } else { BLUE };
                let x = i as f64;
                Rectangle::new(
                    [(x + 0.2, 0.0), (x + 0.8, *seconds)],
                    color.mix(0.7).filled(),
                )
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, (_, _, limit))| {
                let x = i as f64;
                limit.map(|l| {
                    PathElement::new(vec![(x + 0.1, l), (x + 0.9, l)], BLACK.stroke_width(2))
                })
            }))
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Some(svg))
}

pub fn page(report: &Report) -> Result<String, String> {
    let title = escape(&format!(
        "neo4j-aks verify {} (namespace {})",
        report.cluster, report.namespace
    ));
    let mut html = String::from(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta charset=\"utf-8\"/>\n",
    );
    html.push_str(&format!("<title>{title}</title>\n"));
    html.push_str(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
         .PASS{background:#dfd}.FAIL{background:#fdd}.SKIP{background:#eee}</style>\n</head>\n<body>\n",
    );
    html.push_str(&format!("<h1>{title}</h1>\n"));
    html.push_str(&format!(
        "<p id=\"summary\">Started {}: {}</p>\n",
        escape(&report.started_at),
        escape(&report.summary_line())
    ));
    html.push_str("<table id=\"results\">\n<tr><th>check</th><th>category</th><th>result</th><th>seconds</th><th>criterion</th><th>detail</th></tr>\n");
    for r in &report.results {
        let word = r.outcome.word();
        let mut detail = escape(r.outcome.detail());
        for m in &r.measurements {
            detail.push_str(&escape(&format!(" [{} {:.1}s]", m.name, m.seconds)));
        }
        html.push_str(&format!(
            "<tr class=\"{word}\" id=\"{id}\"><td>{id}</td><td>{}</td><td>{word}</td><td>{:.1}</td><td>{}</td><td>{detail}</td></tr>\n",
            escape(r.category),
            r.seconds,
            escape(r.criterion),
            id = r.id.name(),
        ));
    }
    html.push_str("</table>\n");
    let plots = [timeline_svg(report)?, durations_svg(report)?];
    if plots.iter().all(Option::is_none) {
        html.push_str(
            "<p>No disruptive check ran, so there is nothing to plot (--allow-disruptive).</p>\n",
        );
    }
    for svg in plots.into_iter().flatten() {
        html.push_str("<div class=\"plot\">\n");
        html.push_str(&svg);
        html.push_str("\n</div>\n");
    }
    let skipped_enterprise = report
        .results
        .iter()
        .filter(|r| r.needs.enterprise && !matches!(r.outcome, Outcome::Pass(_)))
        .count();
    if skipped_enterprise > 0 {
        html.push_str(&format!(
            "<p>{skipped_enterprise} check(s) that need a real Neo4j Enterprise cluster did not pass here; see docs/verify.md.</p>\n"
        ));
    }
    html.push_str("</body>\n</html>\n");
    Ok(html)
}
