import { describe, expect, it } from 'vitest';
import { applyVariable, childContext, renderJinja, renderTemplate, renderVelocity } from '../../src/agent/render.js';

/** A CAM template context as the server builds it (cam-api.md §5). */
function camContext(): Record<string, unknown> {
  return {
    PORT: '8080',
    DB_PASSWORD: 'pw-123456',
    instance: 'i-abc123',
    service: 'eb-l2gmi',
    machine: 'web-eb-l2gmi-1',
    address: { public: '54.1.2.3', private: '10.0.0.5' },
    addresses: [
      { public: '54.1.2.3', private: '10.0.0.5' },
      { public: '54.1.2.4', private: '10.0.0.6' },
    ],
    box: 'web',
    environment: 'staging',
    variables: { PORT: '8080', DB_PASSWORD: 'pw-123456' },
    nginx: { VERSION: '1.25', conf: { WORKERS: '4' } },
    db: [
      { PORT: '5432', address: { public: '', private: '10.0.1.1' }, instance: 'i-db0001' },
      { PORT: '5433', address: { public: '', private: '10.0.1.2' }, instance: 'i-db0002' },
    ],
  };
}

describe('renderJinja with the CAM context', () => {
  it('renders own variables, instance facts and addresses', () => {
    const out = renderJinja(
      'listen {{ PORT }} on {{ address.private }} for {{ instance }}/{{ service }}/{{ machine }} ({{ environment }}, {{ box }}) n={{ addresses|length }}',
      camContext(),
    );
    expect(out).toBe('listen 8080 on 10.0.0.5 for i-abc123/eb-l2gmi/web-eb-l2gmi-1 (staging, web) n=2');
  });

  it('reaches nested child boxes at any depth', () => {
    expect(renderJinja('{{ nginx.VERSION }} {{ nginx.conf.WORKERS }}', camContext())).toBe('1.25 4');
  });

  it('treats b.VAR as b[0].VAR for bindings and still iterates over all bound instances', () => {
    const ctx = camContext();
    expect(renderJinja('{{ db.PORT }}={{ db[0].PORT }} {{ db.address.private }}', ctx)).toBe('5432=5432 10.0.1.1');
    expect(renderJinja('{% for i in db %}{{ i.address.private }}:{{ i.PORT }} {% endfor %}', ctx)).toBe(
      '10.0.1.1:5432 10.0.1.2:5433 ',
    );
    expect(renderJinja('{{ addresses.public }}', ctx)).toBe('54.1.2.3');
  });

  it('is Jinja2-compatible: no autoescape, undefined renders empty, True/None, conditionals, items()', () => {
    const ctx = { ...camContext(), HTML: '<a href="x">&</a>' };
    expect(renderJinja('{{ HTML }}|{{ MISSING }}|{{ True }}|{{ None is none }}', ctx)).toBe(
      '<a href="x">&</a>||true|true',
    );
    expect(renderJinja('{% if PORT == "8080" %}yes{% else %}no{% endif %}', ctx)).toBe('yes');
    expect(renderJinja('{% for k, v in variables.items() %}{{ k }};{% endfor %}', ctx)).toBe('PORT;DB_PASSWORD;');
  });

  it('treats empty lists and dicts as false, as Jinja2 does', () => {
    const ctx = { ...camContext(), db: [], cache: {}, nested: { inner: [] }, ZERO: '0', EMPTY: '' };
    const cases: [string, string][] = [
      ['{% if db %}bound{% else %}unbound{% endif %}', 'unbound'],
      ['{% if cache %}a{% elif nested.inner %}b{% elif addresses %}c{% endif %}', 'c'],
      ['{% if not db %}none{% endif %}', 'none'],
      ['{{ "yes" if cache else "no" }}', 'no'],
      ['{{ db or "fallback" }}|{{ PORT or "x" }}|{{ EMPTY or "e" }}', 'fallback|8080|e'],
      ['{{ db and db[0].PORT }}|{{ addresses and addresses[1].private }}', '|10.0.0.6'],
      ['{% if db and db[0].missing.call() %}x{% else %}lazy{% endif %}', 'lazy'],
      ['{% if ZERO %}string zero is true{% endif %}', 'string zero is true'],
      ['{% if variables %}v{% endif %}{% if nginx %}n{% endif %}', 'vn'],
      ['{% for i in db %}{{ i }}{% else %}empty loop{% endfor %}', 'empty loop'],
    ];
    for (const [template, expected] of cases) expect(renderJinja(template, ctx), template).toBe(expected);
    // A bound instance is still true and its fields still render.
    expect(renderJinja('{% if db %}{{ db.PORT }}{% else %}none{% endif %}', camContext())).toBe('5432');
  });

  it('throws on syntax errors with a line number', () => {
    expect(() => renderJinja('line1\n{% if %}', {})).toThrow(/Line 2/);
  });
});

describe('renderVelocity', () => {
  it('replaces ${VAR}, $VAR and nested references and leaves unknown ones as written', () => {
    const out = renderVelocity(
      'port=${PORT} v=$nginx.VERSION db=${db.PORT} home=$HOME q=[$!{NOPE}] end.',
      camContext(),
    );
    expect(out).toBe('port=8080 v=1.25 db=5432 home=$HOME q=[] end.');
  });

  it('both engines by default (velocity, then jinja)', () => {
    expect(renderTemplate('${PORT} {{ PORT }}', camContext(), 'both')).toBe('8080 8080');
    expect(renderTemplate('${PORT} {{ PORT }}', camContext(), 'jinja')).toBe('${PORT} 8080');
  });
});

describe('applyVariable', () => {
  it('updates own variables and descendants, never parents or siblings', () => {
    const ctx = camContext();
    expect(applyVariable(ctx, '', '', 'PORT', '9090')).toBe(true);
    expect(ctx.PORT).toBe('9090');
    expect((ctx.variables as Record<string, string>).PORT).toBe('9090');
    expect(applyVariable(ctx, '', 'nginx.conf', 'WORKERS', '8')).toBe(true);
    expect(renderJinja('{{ nginx.conf.WORKERS }}', ctx)).toBe('8');
    const child = { WORKERS: '1' };
    expect(applyVariable(child, 'nginx.conf', 'nginx', 'VERSION', 'x')).toBe(false);
    expect(applyVariable(child, 'nginx.conf', 'other', 'VERSION', 'x')).toBe(false);
    expect(applyVariable(ctx, '', 'missing.box', 'X', 'y')).toBe(false);
    expect(childContext(ctx, 'nginx.conf')).toEqual({ WORKERS: '8' });
  });
});
