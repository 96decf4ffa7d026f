import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { UPlotChart } from './uplot-chart';

interface Props {
  /** Epoch milliseconds. */
  t: number[];
  values: (number | null)[];
  label: string;
}

const OPTIONS: Omit<uPlot.Options, 'width' | 'height'> = {
  legend: { show: false },
  cursor: { show: false },
  select: { show: false, left: 0, top: 0, width: 0, height: 0 },
  axes: [{ show: false }, { show: false }],
  scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
  series: [{}, { stroke: '#2f6fdf', fill: 'rgba(47,111,223,0.15)', width: 1.5, points: { show: false }, spanGaps: true }],
  padding: [2, 0, 2, 0],
};

/** A tiny trend line next to a number; the number itself is the accessible value. */
export function Sparkline({ t, values, label }: Props) {
  const data = useMemo<uPlot.AlignedData>(() => [t.map((ms) => ms / 1000), values], [t, values]);
  if (t.length < 2) return <div class="spark spark-empty" aria-hidden="true" />;
  return (
    <div class="spark" role="img" aria-label={`${label} trend`}>
      <UPlotChart options={OPTIONS} data={data} height={24} class="spark-plot" />
    </div>
  );
}
