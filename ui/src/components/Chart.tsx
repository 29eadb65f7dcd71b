// A small time-series chart (uPlot, bundled — no CDN): one or more series over hourly buckets. The
// Y axis is as wide as its widest label (measured with the axis font), so "12,000" is never cut to
// ",000"; counts read as the viewer's locale writes them.
import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";

/** The Y axis's font, gap and tick length (uPlot's defaults, spelled out so the width can be measured). */
const AXIS_FONT = "12px system-ui, -apple-system, sans-serif";
const AXIS_GAP = 5;
const TICK_SIZE = 10;
const count = new Intl.NumberFormat();

/** The CSS pixels a Y axis needs for `labels`; recorded on `box` (data-y-axis / data-y-labels) for tests. */
function yAxisWidth(plot: uPlot, labels: string[] | null, box: HTMLElement): number {
  const ctx = plot.ctx;
  ctx.save();
  ctx.font = AXIS_FONT;
  const widest = Math.max(0, ...(labels ?? []).map((label) => ctx.measureText(label).width));
  ctx.restore();
  const size = Math.ceil(widest + AXIS_GAP + TICK_SIZE + 4);
  box.dataset.yAxis = String(size);
  box.dataset.yLabels = String(Math.ceil(widest));
  return size;
}

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
        axes: [
          { stroke: "#6b7280" },
          {
            stroke: "#6b7280",
            font: AXIS_FONT,
            gap: AXIS_GAP,
            ticks: { size: TICK_SIZE },
            // Whole counts only (a count of 0.5 tasks means nothing), written as the viewer writes numbers.
            values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? count.format(v) : "")),
            size: (u, labels) => yAxisWidth(u, labels, el),
          },
        ],
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
