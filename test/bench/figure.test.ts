import { expect } from 'chai';
import { benchFigureSpec, renderSvg } from '../../bench/figure.ts';

describe('bench/figure', () => {
  const rows = [
    { name: 'torch.compress.params_per_s', value: 56e6, unit: 'params/s' },
    { name: 'core.compress.params_per_s', value: 250e6, unit: 'params/s' },
    { name: 'core.compression_ratio', value: 146.3, unit: 'x' },
    { name: 'core.compression_ratio.rice', value: 214.2, unit: 'x' },
  ];

  it('plots exactly the measured rows', () => {
    const spec = benchFigureSpec(rows) as unknown as { vconcat: { data: { values: { value: number }[] } }[] };
    expect(spec.vconcat[0]!.data.values.map((d) => d.value)).to.deep.equal([56, 250]);
    expect(spec.vconcat[1]!.data.values.map((d) => d.value)).to.deep.equal([146.3, 214.2]);
  });

  it('leaves out a reference that was not measured', () => {
    const spec = benchFigureSpec(rows.slice(1)) as unknown as { vconcat: { data: { values: unknown[] } }[] };
    expect(spec.vconcat[0]!.data.values).to.have.length(1);
  });

  it('renders to SVG with readable labels', async () => {
    const svg = await renderSvg(benchFigureSpec(rows));
    expect(svg).to.match(/^<svg/);
    expect(svg).to.include('million params / s');
    expect(svg).to.include('Golomb–Rice indices');
  });
});
