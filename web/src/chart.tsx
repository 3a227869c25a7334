/** A uPlot time-series chart that follows its data: one instance, fed new data on each render. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
}

const STEPPED = uPlot.paths.stepped!({ align: 1 });

/** Width when the page gives no room to measure (and the least a chart takes). */
const MIN_WIDTH = 560;
const HEIGHT = 200;

/**
 * x: seconds since epoch (uPlot's time unit). `stepped`: each value holds until the next (a
 * figure sampled when it changed), rather than a line between samples.
 */
export function TimeChart(props: { title: string; x: number[]; series: Series[]; testId?: string; stepped?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = props.series.map((s) => s.label).join('|');

  useEffect(() => {
    if (!host.current) return;
    plot.current = new uPlot(
      {
        title: props.title,
        width: Math.max(MIN_WIDTH, host.current.clientWidth - 8),
        height: HEIGHT,
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            spanGaps: false,
            ...(props.stepped ? { paths: STEPPED } : {}),
          })),
        ],
        axes: [{}, { size: 50 }],
        legend: { live: false },
      },
      [props.x, ...props.series.map((s) => s.values)],
      host.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, props.title]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)]);
  });

  return <div class="chart" ref={host} data-testid={props.testId} data-samples={props.x.length} />;
}

/** A palette that tells series apart on white. */
export const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
