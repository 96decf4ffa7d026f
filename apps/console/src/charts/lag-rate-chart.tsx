import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { UPlotChart } from './uplot-chart';

interface Props {
  history: { t: number[]; pending: number[]; ackPending: number[]; rate: (number | null)[] };
}

const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.1))];

const OPTIONS: Omit<uPlot.Options, 'width' | 'height'> = {
  scales: { x: { time: true }, msgs: { range: fromZero }, rate: { range: fromZero } },
  series: [
    {},
    { label: 'Pending', scale: 'msgs', stroke: '#2f6fdf', width: 2, points: { show: false }, spanGaps: true },
    { label: 'Ack pending', scale: 'msgs', stroke: '#c77700', width: 2, points: { show: false }, spanGaps: true },
    { label: 'Rate (msg/s)', scale: 'rate', stroke: '#1a8a50', width: 1.5, dash: [5, 4], points: { show: false }, spanGaps: true },
  ],
  axes: [
    {},
    { scale: 'msgs', label: 'messages', size: 56 },
    { scale: 'rate', label: 'msg/s', side: 1, size: 56, grid: { show: false } },
  ],
  legend: { live: true },
};

export function LagRateChart({ history }: Props) {
  const data = useMemo<uPlot.AlignedData>(
    () => [history.t.map((ms) => ms / 1000), history.pending, history.ackPending, history.rate],
    [history],
  );
  return <UPlotChart options={OPTIONS} data={data} height={260} class="chart lag-chart" />;
}
