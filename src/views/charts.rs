//! Server-rendered SVG charts (plotters' SVG backend): no JavaScript, printable, with the same
//! figures in a table beside each chart for screen readers.

use plotters::prelude::*;

/// One line of a chart: a name, a colour and (x, y) points.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: RGBColor,
    pub points: Vec<(i32, f64)>,
}

/// How a chart is laid out: its size in pixels and its text size. A phone gets a narrow chart
/// with larger text, drawn for its width rather than shrunk from the wide one.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub font: u32,
    pub x_labels: usize,
    /// The legend inside the chart; a narrow chart has its legend as a list below it instead.
    pub legend: bool,
}

pub const WIDE: Layout = Layout { width: 860, height: 320, font: 13, x_labels: 8, legend: true };
pub const NARROW: Layout = Layout { width: 400, height: 320, font: 16, x_labels: 3, legend: false };

/// The legend of a narrow chart, as a list that wraps: a swatch of each series' colour and its
/// name (the colour is an SVG attribute, which the style policy allows).
pub fn legend_list(series: &[Series]) -> maud::Markup {
    maud::html! {
        ul.chart-legend {
            @for s in series {
                li {
                    svg width="14" height="14" aria-hidden="true" {
                        rect width="14" height="14" rx="2" fill=(format!("#{:02x}{:02x}{:02x}", s.colour.0, s.colour.1, s.colour.2)) {}
                    }
                    " " (s.name)
                }
            }
        }
    }
}

/// A line chart over whole-number x values (days since an epoch), labelled by `x_label`, with
/// the y axis labelled by `y_label` (numbers as the reader's language writes them).
pub fn line_chart(
    series: &[Series],
    x_label: &dyn Fn(&i32) -> String,
    y_label: &dyn Fn(&f64) -> String,
    y_max: f64,
    y_caption: &str,
    layout: Layout,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (layout.width, layout.height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (x_min, x_max) = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold((i32::MAX, i32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let (x_min, x_max) = if x_min > x_max { (0, 1) } else { (x_min, x_max.max(x_min + 1)) };
        let chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(layout.font * 5 / 2)
            .y_label_area_size(layout.font * 5)
            .build_cartesian_2d(x_min..x_max, 0f64..y_max.max(1.0));
        let Ok(mut chart) = chart else { return svg_fallback() };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(layout.x_labels)
            .x_label_formatter(x_label)
            .y_label_formatter(y_label)
            .y_desc(y_caption)
            .label_style(("sans-serif", layout.font))
            .draw();
        for s in series {
            let colour = s.colour;
            if let Ok(drawn) = chart.draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(2))) {
                drawn
                    .label(s.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
            }
        }
        if layout.legend {
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .label_font(("sans-serif", layout.font))
                .position(SeriesLabelPosition::UpperLeft)
                .draw();
        }
        let _ = root.present();
    }
    svg
}

fn svg_fallback() -> String {
    String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_and_labels() {
        let svg = line_chart(
            &[Series { name: "Posters", colour: RGBColor(29, 79, 122), points: vec![(0, 0.0), (7, 40.0), (14, 75.0)] }],
            &|x| format!("d{x}"),
            &|y| format!("{y:.0} %"),
            100.0,
            "%",
            WIDE,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Posters"), "legend missing");
        assert!(svg.contains("<polyline") || svg.contains("<path"), "no line drawn");
    }
}
