// A small time-series chart (uPlot, bundled — no CDN): one or more series over hourly buckets.
import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";

export interface Series {
  label: string;
  color: string;
  values: number[];
}

/** A bar-like stepped chart of `series` over `times` (epoch seconds). Resizes with its container. */
export function Chart({ title, times, series }: { title: string; times: number[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(240, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 180,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{ stroke: "#6b7280" }, { stroke: "#6b7280", size: 40 }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: `${s.color}33`,
            width: 1.5,
            paths: uPlot.paths.stepped?.({ align: 1 }),
          })),
        ],
      },
      [times, ...series.map((s) => s.values)],
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [times, series]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={title} />
    </figure>
  );
}
