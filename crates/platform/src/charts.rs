//! Small inline SVG charts for the services' report pages (Tickets'
//! `/reportes`, Ahorro's back-office dashboard): no library, no CDN, pure
//! functions from labelled values to an `<svg>` string.

use std::fmt::Write;

/// Escapes text for SVG/HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart: one labelled bar per item.
pub fn horizontal_bars(title: &str, items: &[(String, usize)], color: &str) -> String {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let row = 28;
    let label_width = 150;
    let bar_width = 300;
    let height = items.len() * row + 10;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {w} {height}" width="{w}" height="{height}" style="max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">"#,
        title = escape(title),
        w = label_width + bar_width + 60,
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = i * row + 5;
        let width = (*value as f64 / max as f64 * bar_width as f64).round() as usize;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13">{label}</text><rect x="{x}" y="{y}" width="{width}" height="20" rx="3" fill="{color}"><title>{label}: {value}</title></rect><text x="{vx}" y="{ty}" font-size="13">{value}</text>"#,
            lx = label_width - 8,
            ty = y + 15,
            x = label_width,
            vx = label_width + width + 6,
            label = escape(label),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A vertical bar chart over time (one bar per day).
pub fn columns(title: &str, items: &[(String, usize)], color: &str) -> String {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let column = 44;
    let chart_height = 160;
    let width = items.len().max(1) * column + 20;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {h}" width="{width}" height="{h}" style="max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">"#,
        title = escape(title),
        h = chart_height + 40,
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let x = 10 + i * column;
        let height = (*value as f64 / max as f64 * chart_height as f64).round() as usize;
        let y = chart_height - height + 10;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{height}" rx="2" fill="{color}"><title>{label}: {value}</title></rect><text x="{cx}" y="{ly}" font-size="11" text-anchor="middle">{label}</text>"#,
            w = column - 6,
            cx = x + (column - 6) / 2,
            ly = chart_height + 26,
            label = escape(label),
        );
        if *value > 0 {
            let _ = write!(
                svg,
                r#"<text x="{cx}" y="{vy}" font-size="10" text-anchor="middle">{value}</text>"#,
                cx = x + (column - 6) / 2,
                vy = y.saturating_sub(3)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_labels_escaped() {
        let svg = horizontal_bars("Por repartidor", &[("A<b>".into(), 10), ("B".into(), 5)], "#2a7");
        assert!(svg.contains("A&lt;b&gt;"));
        assert!(svg.contains(r#"width="300""#), "the largest fills the width");
        assert!(svg.contains(r#"width="150""#), "half as many, half as long");
        let empty = columns("Por día", &[], "#2a7");
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
    }
}
