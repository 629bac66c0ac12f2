/**
 * Scrape sources: an OpenMetrics page becomes the 0.0.4 text prometheus_client itself writes for the same
 * registry (the pages below were written by python3-prometheus-client 0.16), and a scraped endpoint that is
 * down, slow, huge, failing or malformed is left out of that push alone, reported once per kind of trouble,
 * and taken again once it answers. The endpoints are in-process HTTP servers: the faults are ones a real
 * exporter produces only by accident (test/integration/agent-scrape.test.ts runs the real ones).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExtraSourceError, ScrapeError } from '../../../src/errors.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { METRIC_CATALOG } from '../../../src/metrics/catalog.js';
import { ExtraSources } from '../../../src/push/extra-sources.js';
import { scrapeSource } from '../../../src/push/scrape-source.js';
import { scrapedText } from '../../../src/push/scraped-text.js';

const OPENMETRICS_PAGE = [
  '# HELP trainer_steps Steps \\"done\\".',
  '# TYPE trainer_steps counter',
  'trainer_steps_total{rank="0"} 3.0',
  'trainer_steps_created{rank="0"} 1.7965448698134022e+09',
  '# HELP trainer_step_seconds Step time',
  '# TYPE trainer_step_seconds histogram',
  '# UNIT trainer_step_seconds seconds',
  'trainer_step_seconds_bucket{le="0.1"} 0.0',
  'trainer_step_seconds_bucket{le="1.0"} 1.0 # {trace_id="a b"} 0.3 1.7e9',
  'trainer_step_seconds_bucket{le="+Inf"} 1.0',
  'trainer_step_seconds_count 1.0',
  'trainer_step_seconds_sum 0.3',
  'trainer_step_seconds_created 1.796544869813416e+09',
  '# HELP trainer_build b',
  '# TYPE trainer_build info',
  'trainer_build_info{version="1"} 1.0',
  '# EOF',
  '',
].join('\n');

const TEXT_PAGE = [
  '# HELP trainer_steps_total Steps "done".',
  '# TYPE trainer_steps_total counter',
  'trainer_steps_total{rank="0"} 3.0',
  '# HELP trainer_steps_created Steps "done".',
  '# TYPE trainer_steps_created gauge',
  'trainer_steps_created{rank="0"} 1.7965448698134022e+09',
  '# HELP trainer_step_seconds Step time',
  '# TYPE trainer_step_seconds histogram',
  'trainer_step_seconds_bucket{le="0.1"} 0.0',
  'trainer_step_seconds_bucket{le="1.0"} 1.0',
  'trainer_step_seconds_bucket{le="+Inf"} 1.0',
  'trainer_step_seconds_count 1.0',
  'trainer_step_seconds_sum 0.3',
  '# HELP trainer_step_seconds_created Step time',
  '# TYPE trainer_step_seconds_created gauge',
  'trainer_step_seconds_created 1.796544869813416e+09',
  '# HELP trainer_build_info b',
  '# TYPE trainer_build_info gauge',
  'trainer_build_info{version="1"} 1.0',
  '',
].join('\n');

describe('scrapedText', () => {
  it("rewrites prometheus_client's OpenMetrics page as the 0.0.4 page it writes for the same registry", () => {
    expect(scrapedText(OPENMETRICS_PAGE, 'application/openmetrics-text; version=1.0.0; charset=utf-8')).toBe(TEXT_PAGE);
  });

  it('keeps a 0.0.4 page, without sample timestamps (the gateway refuses them) and with labels holding blanks', () => {
    expect(scrapedText('# TYPE x gauge\r\nx{a="b c} 1"} 2 1700000000000\ny {z="1"}  3\n', 'text/plain; version=0.0.4')).toBe('# TYPE x gauge\nx{a="b c} 1"} 2\ny {z="1"} 3\n');
  });

  it('writes a gaugehistogram as its own series (_bucket, _gcount, _gsum), never as a histogram the gateway completes with _sum 0 and _count 0', () => {
    const page = '# TYPE q gaugehistogram\n# HELP q Queued.\nq_bucket{le="1.0"} 1.0\nq_bucket{le="+Inf"} 2.0\nq_gcount 2.0\nq_gsum 3.0\n# EOF\n';
    expect(scrapedText(page, 'application/openmetrics-text')).toBe(
      [
        '# HELP q_bucket Queued.',
        '# TYPE q_bucket gauge',
        'q_bucket{le="1.0"} 1.0',
        'q_bucket{le="+Inf"} 2.0',
        '# HELP q_gcount Queued.',
        '# TYPE q_gcount gauge',
        'q_gcount 2.0',
        '# HELP q_gsum Queued.',
        '# TYPE q_gsum gauge',
        'q_gsum 3.0',
        '',
      ].join('\n'),
    );
  });

  it("names a prometheus_client counter of a bare catalog counter (nan_count_total) as the catalog's nan_count, in either format; other counters keep _total", () => {
    const text =
      '# HELP nan_count_total NaNs.\n# TYPE nan_count_total counter\nnan_count_total{feature="f1"} 3.0\n# TYPE nan_count_created gauge\nnan_count_created{feature="f1"} 1.7e9\n# TYPE steps_total counter\nsteps_total 5.0\n';
    const expected =
      '# HELP nan_count NaNs.\n# TYPE nan_count counter\nnan_count{feature="f1"} 3.0\n# TYPE nan_count_created gauge\nnan_count_created{feature="f1"} 1.7e9\n# TYPE steps_total counter\nsteps_total 5.0\n';
    expect(scrapedText(text, 'text/plain; version=0.0.4')).toBe(expected);
    const openMetrics =
      '# HELP nan_count NaNs.\n# TYPE nan_count counter\nnan_count_total{feature="f1"} 3.0\nnan_count_created{feature="f1"} 1.7e9\n# TYPE steps counter\nsteps_total 5.0\n# EOF\n';
    expect(scrapedText(openMetrics, 'application/openmetrics-text')).toBe(
      '# HELP nan_count NaNs.\n# TYPE nan_count counter\nnan_count{feature="f1"} 3.0\n# HELP nan_count_created NaNs.\n# TYPE nan_count_created gauge\nnan_count_created{feature="f1"} 1.7e9\n# TYPE steps_total counter\nsteps_total 5.0\n',
    );
    // Untyped, it is not known to be the counter: left as it is.
    expect(scrapedText('nan_count_total 1\n', 'text/plain')).toBe('nan_count_total 1\n');
  });

  it('refuses an OpenMetrics page cut short (no "# EOF")', () => {
    expect(() => scrapedText(OPENMETRICS_PAGE.replace('# EOF\n', ''), 'application/openmetrics-text')).toThrow(/without its closing "# EOF"/);
  });
});

/** One in-process endpoint whose answer each test sets. */
let answer: (response: ServerResponse) => void = (response) => response.end('');
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) => answer(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function logger(): { warn: (message: string) => void; info: (message: string) => void; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warn: (message) => warnings.push(message), info: (message) => infos.push(message), warnings, infos };
}

const page =
  (text: string, type = 'text/plain; version=0.0.4') =>
  (response: ServerResponse) => {
    response.setHeader('content-type', type);
    response.end(text);
  };

describe('scrapeSource', () => {
  it('refuses what is not an http(s) URL, naming the argument', () => {
    expect(() => scrapeSource('127.0.0.1:8000/metrics')).toThrow(ConfigError);
    expect(() => scrapeSource('ftp://host/metrics')).toThrow(/scrapeSource\(\): url: expected the http:\/\/ or https:\/\/ URL of a \/metrics endpoint/);
    expect(() => scrapeSource(url, { maxBytes: 0 })).toThrow(/maxBytes/);
  });

  it('reads an OpenMetrics page as 0.0.4 text', async () => {
    answer = page(OPENMETRICS_PAGE, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const source = scrapeSource(url);
    try {
      expect(await source.metrics()).toBe(TEXT_PAGE);
    } finally {
      await source.close();
    }
  });

  it('down, failing, huge (declared or not), malformed, slow: each left out of that push alone, reported once per kind, taken again when good', async () => {
    const log = logger();
    const source = scrapeSource(url, { maxBytes: 1000 });
    const own = { metrics: () => 'user_own 1\n' };
    const extras = new ExtraSources([own, source], new MetricsRegistry(METRIC_CATALOG), { timeoutSeconds: 0.3, logger: log });
    const huge = `# TYPE big gauge\n${'big{x="1"} 1\n'.repeat(200)}`;
    const faults: Array<[string, (response: ServerResponse) => void, RegExp]> = [
      ['http_status', (response) => response.writeHead(500).end('oops'), /answered HTTP 500/],
      ['too_large', page(huge), /answered a page of \d+ bytes, over the 1000 bytes/],
      [
        'too_large',
        (response) => {
          response.write(huge.slice(0, 800));
          response.end(huge.slice(800));
        },
        /over 1000 bytes/,
      ],
      ['malformed', page('<html>502</html>\n'), /not exposition format/],
      ['timeout', () => {}, /did not answer within 0.3 s/],
    ];
    try {
      answer = page('# TYPE user_scraped gauge\nuser_scraped 1\n');
      expect((await extras.collect()).text).toBe('user_own 1\n# TYPE user_scraped gauge\nuser_scraped 1\n');
      for (const [kind, fault, message] of faults) {
        answer = fault;
        for (let push = 0; push < 2; push += 1) {
          const collected = await extras.collect();
          expect(collected.text, kind).toBe('user_own 1\n');
          expect(collected.heldBack).toHaveLength(1);
          expect(collected.heldBack[0]).toBeInstanceOf(ExtraSourceError);
          expect((collected.heldBack[0] as ExtraSourceError).message).toMatch(message);
        }
      }
      // Once per kind of trouble: the two too_large answers are one kind.
      expect(log.warnings).toHaveLength(4);
      expect(log.warnings.every((line) => line.startsWith(`extraSources[1] (${url}) `))).toBe(true);
      answer = page('# TYPE user_scraped gauge\nuser_scraped 2\n');
      // The hung request of the last push was aborted at the push timeout: the next scrape is not refused for it.
      expect((await extras.collect()).text).toBe('user_own 1\n# TYPE user_scraped gauge\nuser_scraped 2\n');
      expect(log.infos).toEqual([`extraSources[1] (${url}) is good again: its metrics are pushed again`]);
    } finally {
      await source.close();
    }
  });

  it('follows redirects as Prometheus does, up to 10; an 11th, a loop or a Location that is no http(s) URL is a ScrapeError', async () => {
    let hops = 0;
    answer = (response) => {
      hops += 1;
      if (hops <= 11) response.writeHead(302, { location: `/metrics?hop=${hops}` }).end();
      else page('user_moved 1\n')(response);
    };
    const source = scrapeSource(url);
    try {
      await expect(source.metrics()).rejects.toThrow(/redirects more than 10 times, as far as Prometheus follows \(.*hop=11\)/);
      hops = 1;
      expect(await source.metrics()).toBe('user_moved 1\n'); // 10 redirects, then the page
      answer = (response) => response.writeHead(301, { location: 'ftp://host/metrics' }).end();
      await expect(source.metrics()).rejects.toThrow(/answered HTTP 301 without an http\(s\) Location to follow \("ftp:\/\/host\/metrics"\)/);
    } finally {
      await source.close();
    }
  });

  it('an endpoint that is down is a ScrapeError naming its URL', async () => {
    const down = scrapeSource('http://127.0.0.1:9/metrics');
    await expect(down.metrics()).rejects.toThrow(ScrapeError);
    await expect(down.metrics()).rejects.toThrow(/scrape of http:\/\/127.0.0.1:9\/metrics could not be read \(ECONNREFUSED\)/);
    await down.close();
  });

  it("leaves out only a scraped family that clashes with the catalog, another source's, or carries a grouping label", async () => {
    const log = logger();
    const first = { metrics: () => '# TYPE python_info gauge\npython_info{version="3"} 1\n' };
    const source = scrapeSource(url);
    const extras = new ExtraSources([first, source], new MetricsRegistry(METRIC_CATALOG), { timeoutSeconds: 1, logger: log });
    answer = page(
      [
        '# TYPE python_info gauge',
        'python_info{version="3"} 1',
        '# TYPE index_miss_count counter',
        'index_miss_count 2',
        '# TYPE user_federated gauge',
        'user_federated{instance="x"} 1',
        '# TYPE user_kept gauge',
        'user_kept 5',
        '',
      ].join('\n'),
    );
    try {
      for (let push = 0; push < 2; push += 1) {
        const collected = await extras.collect();
        expect(collected.text).toBe('# TYPE python_info gauge\npython_info{version="3"} 1\n# TYPE user_kept gauge\nuser_kept 5\n');
        expect(collected.heldBack).toHaveLength(3);
      }
      expect(log.warnings).toHaveLength(3);
      expect(log.warnings[0]).toMatch(
        /^extraSources\[1\] \(http:\/\/127\.0\.0\.1:\d+\/metrics\) defines python_info at line 1, which extraSources\[0\]'s python_info writes already/,
      );
      expect(log.warnings.join('\n')).toMatch(/index_miss_count at line 3, which this node's metric index_miss_count/);
      expect(log.warnings.join('\n')).toMatch(/user_federated uses label "instance"/);
      expect(log.warnings.every((line) => line.includes('left out; pushing the rest'))).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('leaves out the names Prometheus writes for every target (up, scrape_*) and the gateway writes (push_time_seconds), once each, counted at each push', async () => {
    const log = logger();
    const source = scrapeSource(url);
    const extras = new ExtraSources([source], new MetricsRegistry(METRIC_CATALOG), { timeoutSeconds: 1, logger: log });
    answer = page('# TYPE up gauge\nup 1\nscrape_duration_seconds 0.1\npush_time_seconds 1\nuser_kept 3\n');
    try {
      for (let push = 0; push < 2; push += 1) {
        const collected = await extras.collect();
        expect(collected.text).toBe('user_kept 3\n');
        expect(collected.heldBack).toHaveLength(3);
      }
      expect(log.warnings).toHaveLength(3);
      expect(log.warnings[0]).toMatch(/defines up at line 1, a name Prometheus writes itself for every target it scrapes/);
      expect(log.warnings[1]).toMatch(/defines scrape_duration_seconds at line 3, a name Prometheus writes itself/);
      expect(log.warnings[2]).toMatch(/defines push_time_seconds at line 4, which the Pushgateway/);
    } finally {
      await source.close();
    }
  });
});

describe('a scrape URL with user:password@', () => {
  it('sends them as basic auth to its own origin, not to another a redirect points at, and never names the password', async () => {
    const seen: Record<string, (string | undefined)[]> = { first: [], other: [] };
    const listen = async (name: string, answer: (response: ServerResponse, path: string) => void): Promise<{ origin: string; close: () => void }> => {
      const one = createServer((request, response) => {
        seen[name]?.push(request.headers.authorization);
        answer(response, request.url ?? '');
      });
      await new Promise<void>((resolve) => one.listen(0, '127.0.0.1', resolve));
      return { origin: `http://127.0.0.1:${(one.address() as AddressInfo).port}`, close: () => one.close() };
    };
    const other = await listen('other', (response) => response.end('user_elsewhere 1\n'));
    // FAULT: an endpoint that moved its page to another origin, and one path that stays home.
    const first = await listen('first', (response, path) =>
      path === '/away'
        ? response.writeHead(302, { location: `${other.origin}/metrics` }).end()
        : response.writeHead(path === '/home' ? 302 : 200, { location: '/metrics' }).end('user_home 1\n'),
    );
    const basic = `Basic ${Buffer.from('alice:s3 cr@t').toString('base64')}`;
    const at = (path: string): string => `${first.origin.replace('http://', 'http://alice:s3%20cr%40t@')}${path}`;
    const sources = [scrapeSource(at('/home')), scrapeSource(at('/away'))];
    try {
      expect(sources[0]?.sourceName).toBe(`${first.origin.replace('http://', 'http://alice:***@')}/home`);
      expect(sources[0]?.url).toBe(`${first.origin}/home`);
      expect(await sources[0]?.metrics()).toBe('user_home 1\n');
      expect(seen['first']).toEqual([basic, basic]); // the redirect within its origin keeps them
      expect(await sources[1]?.metrics()).toBe('user_elsewhere 1\n');
      expect(seen['first']).toEqual([basic, basic, basic]);
      expect(seen['other']).toEqual([undefined]);
    } finally {
      await Promise.all(sources.map((source) => source?.close()));
      first.close();
      other.close();
    }
  });
});
