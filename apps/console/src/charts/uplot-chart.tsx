import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

interface Props {
  /** Options without size: the chart takes its container's width. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height: number;
  class?: string;
}

/**
 * Owns one uPlot instance: made once per option set, fed new data in place on
 * every poll (no rebuild, so the chart does not flicker), sized by its container.
 */
export function UPlotChart({ options, data, height, class: className }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = () => Math.max(60, Math.floor(el.clientWidth));
    const chart = new uPlot({ ...options, width: width(), height }, latest.current, el);
    plot.current = chart;
    const observer = new ResizeObserver(() => {
      const w = width();
      if (w !== chart.width) chart.setSize({ width: w, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={host} class={className ?? 'chart'} />;
}
