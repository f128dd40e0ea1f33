import assert from 'node:assert/strict';
import { RegoError } from '../../../provider/src/rego/index.js';
import { expr } from './helpers.js';

describe('rego builtins', () => {
  it('sprintf follows Go fmt for every value type', () => {
    assert.equal(expr('sprintf("%v|%v|%v|%v|%v", ["s", 1, 1.5, true, null])'), 's|1|1.5|true|null');
    assert.equal(expr('sprintf("%v %v %v", [[1, "a"], {"k": "v"}, {2, 1}])'), '[1, "a"] {"k": "v"} {1, 2}');
    assert.equal(expr('sprintf("%v", [set()])'), 'set()');
    assert.equal(expr('sprintf("%s %s %s", ["x", ["a"], true])'), 'x ["a"] true');
    assert.equal(expr('sprintf("%d %d %05d %x", [42, -3, 7, 255])'), '42 -3 00007 ff');
    assert.equal(expr('sprintf("%d", ["x"])'), '%!d(string=x)');
    assert.equal(expr('sprintf("%s", [1])'), '%!s(int=1)');
    assert.equal(expr('sprintf("%.2f %q %%", [3.14159, "q"])'), '3.14 "q" %');
    assert.equal(expr('sprintf("%v %v", ["only"])'), 'only %!v(MISSING)');
    assert.equal(expr('sprintf("%s", [123456789123456789123])'), '123456789123456789123');
  });

  it('string helpers count code points and handle edges', () => {
    assert.equal(expr('substring("héllo", 1, 3)'), 'éll');
    assert.equal(expr('substring("abc", 5, 1)'), '');
    assert.equal(expr('substring("abc", 1, -1)'), 'bc');
    assert.throws(() => expr('substring("abc", -1, 1)', { strict: true }), (e: unknown) => e instanceof RegoError && /negative offset/.test(e.message));
    assert.equal(expr('trim_suffix("image:latest", ":latest")'), 'image');
    assert.equal(expr('trim("xxhixx", "x")'), 'hi');
    assert.equal(expr('concat(",", {"b", "a"})'), 'a,b');
    assert.equal(expr('strings.any_prefix_match("docker.io/x", ["gcr.io/", "docker.io/"])'), true);
    assert.equal(expr('indexof("héllo", "l")'), 2);
    assert.equal(expr('to_number("1.5") + 1'), 2.5);
    assert.equal(expr('to_number("x")'), undefined);
  });

  it('regex uses the JavaScript engine with RE2 syntax translated', () => {
    assert.equal(expr('regex.match(`^(?P<repo>[a-z]+)/app$`, "team/app")'), true);
    assert.equal(expr('regex.match(`(?i)^ABC$`, "abc")'), true);
    assert.equal(expr('regex.replace("a1b2", `[0-9]`, "#")'), 'a#b#');
    assert.deepEqual(expr('regex.find_n(`[a-z]`, "a1b2c", 2)'), ['a', 'b']);
    assert.throws(() => expr('regex.match(`(a)\\1`, "aa")', { strict: true }), (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error');
    assert.equal(expr('regex.is_valid("[")'), false);
  });

  it('glob.match honours delimiters', () => {
    assert.equal(expr('glob.match("*.example.com", ["."], "a.example.com")'), true);
    assert.equal(expr('glob.match("*.example.com", ["."], "a.b.example.com")'), false);
    assert.equal(expr('glob.match("**.example.com", ["."], "a.b.example.com")'), true);
    assert.equal(expr('glob.match("{a,b}-?", [], "b-1")'), true);
    assert.equal(expr('regex.globs_match("a.a.[0-9]+z", ".b.b2359825792*594823z")'), true);
    assert.equal(expr('regex.globs_match("[a-z]+", "[0-9]*")'), false);
  });

  it('objects, sets, arrays and aggregates', () => {
    assert.equal(expr('object.get({"a": {"b": 1}}, ["a", "b"], 0)'), 1);
    assert.equal(expr('object.get({"a": 1}, "z", "dflt")'), 'dflt');
    assert.deepEqual(expr('object.union({"a": {"x": 1}}, {"a": {"y": 2}})'), { a: { x: 1, y: 2 } });
    assert.deepEqual(expr('object.remove({"a": 1, "b": 2}, ["a"])'), { b: 2 });
    assert.deepEqual(expr('{1, 2} | {3}'), [1, 2, 3]);
    assert.deepEqual(expr('{1, 2} & {2, 3}'), [2]);
    assert.deepEqual(expr('{1, 2} - {2}'), [1]);
    assert.equal(expr('count("héllo")'), 5);
    assert.equal(expr('max([1, 3, 2])'), 3);
    assert.equal(expr('max([])'), undefined);
    assert.deepEqual(expr('array.slice([1, 2, 3, 4], 1, 3)'), [2, 3]);
    assert.deepEqual(expr('json.patch({"a": 1}, [{"op": "add", "path": "/b", "value": 2}])'), { a: 1, b: 2 });
  });

  it('types, json, yaml, base64, units, semver, net and time', () => {
    assert.equal(expr('type_name({})'), 'object');
    assert.deepEqual(expr('json.unmarshal(`{"a":[1]}`)'), { a: [1] });
    assert.equal(expr('json.marshal({"b": 1, "a": {1}})'), '{"a":[1],"b":1}');
    assert.deepEqual(expr('yaml.unmarshal("a: [1, 2]")'), { a: [1, 2] });
    assert.equal(expr('base64.decode(base64.encode("hé"))'), 'hé');
    assert.equal(expr('units.parse_bytes("1Ki")'), 1024);
    assert.equal(expr('units.parse("500m")'), 0.5);
    assert.equal(expr('semver.compare("1.2.3", "1.10.0")'), -1);
    assert.equal(expr('net.cidr_contains("10.0.0.0/8", "10.1.2.3")'), true);
    assert.deepEqual(expr('net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25"])'), ['10.0.0.0/24']);
    assert.equal(expr('time.parse_rfc3339_ns("2020-01-01T00:00:00Z")'), 1577836800000000000);
    assert.equal(expr('time.format([0, "UTC", "2006-01-02"])'), '1970-01-01');
    assert.deepEqual(expr('time.date(0)'), [1970, 1, 1]);
    assert.equal(expr('time.now_ns()', { nowNs: () => 42 }), 42);
    assert.equal(expr('time.parse_duration_ns("1m30s")'), 90e9);
  });

  it('io.jwt signs and verifies', () => {
    const token = expr('io.jwt.encode_sign({"alg": "HS256"}, {"iss": "me"}, {"kty": "oct", "k": "c2VjcmV0"})') as string;
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(expr(`io.jwt.verify_hs256("${token}", "secret")`), true);
    assert.equal(expr(`io.jwt.verify_hs256("${token}", "wrong")`), false);
    assert.deepEqual(expr(`io.jwt.decode_verify("${token}", {"secret": "secret", "iss": "me"})`), [true, { alg: 'HS256' }, { iss: 'me' }]);
    assert.throws(() => expr('io.jwt.decode("a.b")', { strict: true }), (e: unknown) => e instanceof RegoError && /3 sections/.test(e.message));
  });
});
