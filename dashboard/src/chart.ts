// uPlot line charts: gaps stay gaps (null, never 0) and are shaded; dashed lines mark where
// the platform renamed the metric. The same numbers are in a table next to each chart.

import uPlot from "uplot";
import type { Point, Switch } from "./series";

const COLOURS = ["#1f5fa8", "#b0451c", "#2a7a3b", "#7b3fa0", "#8a6d00", "#0f7b7b"];

export interface Line {
  label: string;
  points: Point[];
}

const charts = new Set<uPlot>();
let observing = false;

function width(el: HTMLElement): number {
  return Math.max(260, Math.floor(el.clientWidth || 320));
}

export function lineChart(el: HTMLElement, lines: Line[], marks: Switch[] = []): uPlot {
  const xs = (lines[0]?.points ?? []).map((p) => Date.parse(p.bucket) / 1000);
  const data: uPlot.AlignedData = [xs, ...lines.map((l) => l.points.map((p) => p.value))];
  const gapBuckets = (lines[0]?.points ?? []).map((_, i) => (lines.some((l) => l.points[i]?.gap) ? i : -1));
  const chart = new uPlot(
    {
      width: width(el),
      height: 220,
      legend: { show: lines.length > 1 },
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      series: [
        {},
        ...lines.map((line, index) => ({
          label: line.label,
          stroke: COLOURS[index % COLOURS.length],
          width: 2,
          spanGaps: false,
          points: { show: true, size: 5 },
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            const step = xs.length > 1 ? (xs[1]! - xs[0]!) / 2 : 43200;
            ctx.fillStyle = "rgba(176, 69, 28, 0.12)";
            for (const index of gapBuckets) {
              if (index < 0) continue;
              const left = u.valToPos(xs[index]! - step, "x", true);
              const right = u.valToPos(xs[index]! + step, "x", true);
              ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
            }
            ctx.strokeStyle = "#7b3fa0";
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 2;
            for (const mark of marks) {
              const x = u.valToPos(Date.parse(mark.at) / 1000, "x", true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    },
    data,
    el,
  );
  chart.root.setAttribute("aria-hidden", "true");
  charts.add(chart);
  if (!observing) {
    observing = true;
    window.addEventListener("resize", () => {
      for (const c of charts) {
        if (!c.root.isConnected) {
          c.destroy();
          charts.delete(c);
        } else if (c.root.parentElement) {
          c.setSize({ width: width(c.root.parentElement), height: 220 });
        }
      }
    });
  }
  return chart;
}

export function destroyDetached(): void {
  for (const c of charts) {
    if (!c.root.isConnected) {
      c.destroy();
      charts.delete(c);
    }
  }
}
