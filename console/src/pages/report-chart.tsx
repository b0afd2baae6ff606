/** One experience's figures for one metric, as the report API gives them. */
export interface ChartRow {
  id: string;
  control: boolean;
  visitors: number;
  rate: number | null;
  lift: number | null;
  interval: { low: number; high: number } | null;
  significant: boolean;
}

const WIDTH = 640;
const ROW = 40;
const LABEL = 120;
const RATE_WIDTH = 200;
const LIFT_LEFT = LABEL + RATE_WIDTH + 40;
const LIFT_WIDTH = WIDTH - LIFT_LEFT - 20;

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

/**
 * The report as a chart drawn by hand in SVG (no chart library): per experience, its conversion
 * rate as a bar, and its lift over the control as a dot with its 95 % interval as a whisker across
 * the zero line. A whisker that does not cross zero is a difference the report calls significant.
 */
export function ReportChart(props: { metric: string; rows: readonly ChartRow[] }) {
  const { rows } = props;
  const height = 40 + rows.length * ROW;
  const maxRate = Math.max(0.01, ...rows.map((row) => row.rate ?? 0));
  const bounds = rows.flatMap((row) => (row.interval ? [row.interval.low, row.interval.high] : row.lift !== null ? [row.lift] : []));
  const span = Math.max(0.1, ...bounds.map((value) => Math.abs(value))) * 1.1;
  const liftX = (value: number) => LIFT_LEFT + ((Math.max(-span, Math.min(span, value)) + span) / (2 * span)) * LIFT_WIDTH;
  const titleId = `chart-${props.metric}-title`;
  const descId = `chart-${props.metric}-desc`;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} width={WIDTH} role="img" aria-labelledby={`${titleId} ${descId}`}>
      <title id={titleId}>Metric {props.metric}: conversion rate and lift over the control with its 95 % interval</title>
      <desc id={descId}>
        {rows
          .map((row) =>
            row.control
              ? `${row.id} (control): rate ${row.rate === null ? 'none yet' : percent(row.rate)}`
              : `${row.id}: rate ${row.rate === null ? 'none yet' : percent(row.rate)}, lift ${row.lift === null ? 'not yet known' : percent(row.lift)}${row.interval ? `, interval ${percent(row.interval.low)} to ${percent(row.interval.high)}` : ''}`,
          )
          .join('; ')}
      </desc>
      <text x={LABEL} y={16}>
        conversion rate
      </text>
      <text x={LIFT_LEFT} y={16}>
        lift over control (95 % interval)
      </text>
      <line x1={liftX(0)} x2={liftX(0)} y1={24} y2={height - 8} stroke="#57606a" stroke-dasharray="4 3" />
      <text x={liftX(0) + 4} y={height - 10} fill="#57606a">
        0
      </text>
      <text x={LIFT_LEFT} y={height - 10}>
        {percent(-span)}
      </text>
      <text x={LIFT_LEFT + LIFT_WIDTH} y={height - 10} text-anchor="end">
        +{percent(span)}
      </text>
      {rows.map((row, i) => {
        const y = 32 + i * ROW;
        const middle = y + ROW / 2 - 4;
        const barWidth = row.rate === null ? 0 : (row.rate / maxRate) * RATE_WIDTH;
        const colour = row.control ? '#57606a' : row.significant ? '#1a7f37' : '#0a5fb4';
        return (
          <g key={row.id}>
            <text x={0} y={middle + 4}>
              {row.id}
              {row.control ? ' (control)' : ''}
            </text>
            <rect x={LABEL} y={middle - 8} width={barWidth} height={16} fill={colour} opacity={0.8} />
            <text x={LABEL + barWidth + 4} y={middle + 4}>
              {row.rate === null ? '—' : percent(row.rate)}
            </text>
            {row.interval && (
              <g stroke={colour} stroke-width={2}>
                <line x1={liftX(row.interval.low)} x2={liftX(row.interval.high)} y1={middle} y2={middle} />
                <line x1={liftX(row.interval.low)} x2={liftX(row.interval.low)} y1={middle - 6} y2={middle + 6} />
                <line x1={liftX(row.interval.high)} x2={liftX(row.interval.high)} y1={middle - 6} y2={middle + 6} />
              </g>
            )}
            {row.lift !== null && <circle cx={liftX(row.lift)} cy={middle} r={5} fill={colour} data-lift={row.id} />}
            {row.control && (
              <text x={liftX(0) + 6} y={middle + 4} fill="#57606a">
                baseline
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
