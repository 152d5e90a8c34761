/** Draws PWL curves with uPlot: function and PWL with knots above, error in LSBs below. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PwlCurve } from './protocol.js';

const WIDTH = 450;

function chart(parent: HTMLElement, title: string, data: uPlot.AlignedData, series: uPlot.Series[], yLabel: string): void {
  new uPlot({ title, width: WIDTH, height: 180, scales: { x: { time: false } }, axes: [{}, { label: yLabel, size: 60 }], series: [{ label: 'x' }, ...series] }, data, parent);
}

export function drawPwl(container: HTMLElement, curves: PwlCurve[]): void {
  container.replaceChildren();
  for (const c of curves) {
    const box = document.createElement('figure');
    box.className = 'pwl-table';
    box.dataset.table = c.name;
    const caption = document.createElement('figcaption');
    caption.textContent = `${c.name}: ${c.fn}, ${c.knots} knots, inputs ${c.inMin}…${c.inMax}, max error ${c.maxErrorLsb.toFixed(2)} LSB`;
    box.append(caption);
    container.append(box);
    // Knots are drawn as points on their own series, aligned to the sample grid by their x.
    const xs = [...new Set([...c.x, ...c.knotX])].sort((a, b) => a - b);
    const at = (x: number[], y: number[]): (number | null)[] => {
      const m = new Map(x.map((v, i) => [v, y[i]]));
      return xs.map((v) => m.get(v) ?? null);
    };
    chart(
      box,
      `${c.fn}: true and integer PWL`,
      [xs, at(c.x, c.exact), at(c.x, c.pwl), at(c.knotX, c.knotY)],
      [
        { label: c.fn, stroke: '#888', width: 1, spanGaps: true },
        { label: 'integer PWL', stroke: '#1565c0', width: 1.5, spanGaps: true },
        { label: 'knots', stroke: '#c62828', width: 0, points: { show: true, size: 4, fill: '#c62828' } },
      ],
      'value',
    );
    chart(box, 'error (output LSBs)', [c.x, c.errorLsb], [{ label: 'error', stroke: '#2e7d32', width: 1 }], 'LSB');
  }
}
