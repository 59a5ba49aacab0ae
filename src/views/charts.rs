//! Server-rendered SVG charts (plotters' SVG backend): no JavaScript, printable, with the same
//! figures in a table beside each chart for screen readers.

use plotters::prelude::*;

/// One line of a chart: a name, a colour and (x, y) points.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: RGBColor,
    pub points: Vec<(i32, f64)>,
}

/// A line chart over whole-number x values (days since an epoch), labelled by `x_label`.
pub fn line_chart(series: &[Series], x_label: &dyn Fn(&i32) -> String, y_max: f64, y_caption: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 320)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (x_min, x_max) = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold((i32::MAX, i32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let (x_min, x_max) = if x_min > x_max { (0, 1) } else { (x_min, x_max.max(x_min + 1)) };
        let chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(x_min..x_max, 0f64..y_max.max(1.0));
        let Ok(mut chart) = chart else { return svg_fallback() };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(x_label)
            .y_desc(y_caption)
            .label_style(("sans-serif", 13))
            .draw();
        for s in series {
            let colour = s.colour;
            if let Ok(drawn) = chart.draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(2))) {
                drawn
                    .label(s.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
            }
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperLeft)
            .draw();
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
            100.0,
            "%",
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Posters"), "legend missing");
        assert!(svg.contains("<polyline") || svg.contains("<path"), "no line drawn");
    }
}
