-- coord.normalize_host and coord.network_pattern: one canonical spelling per name and per
-- address, the same for checks and for rules, and the registered error for each bad input.
begin;
set local search_path = tap, public;
select plan(24);

select is(coord.normalize_host('Example.COM.:443'), 'example.com', 'case, trailing dot and port go');
select is(coord.normalize_host('2852039166'), '169.254.169.254', 'one decimal number is an IPv4 address');
select is(coord.normalize_host('0xA9FEA9FE'), '169.254.169.254', 'so is one hexadecimal number');
select is(coord.normalize_host('169.254.43518'), '169.254.169.254', 'the last part fills the remaining bytes');
select is(coord.normalize_host('0251.0376.0251.0376'), '169.254.169.254', 'a leading 0 is octal');
select is(coord.normalize_host('127.1'), '127.0.0.1', '127.1 is 127.0.0.1');
select is(coord.normalize_host('[0:0:0:0:0:FFFF:A9FE:A9FE]:80'), '169.254.169.254', 'IPv4-mapped IPv6 is the IPv4 address');
select is(coord.normalize_host('64:ff9b::a9fe:a9fe'), '169.254.169.254', 'so is the NAT64 well-known prefix');
select is(coord.normalize_host('2001:0DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'IPv6 is RFC 5952');
select is(coord.normalize_host('fe80::1%eth0'), 'fe80::1', 'a zone id is dropped');
select is(coord.normalize_host('1a.example'), '1a.example', 'a name may start with digits');
select throws_ok($$select coord.normalize_host('1.2.3.256')$$, 'CO451', null, 'a number too large for its part is CO451');
select throws_ok($$select coord.normalize_host('08.1.1.1')$$, 'CO451', null, 'an octal part with 8 or 9 is CO451');
select throws_ok($$select coord.normalize_host('example.123')$$, 'CO451', null, 'a name cannot end in a number');
select throws_ok($$select coord.normalize_host('::ffff:127.1')$$, 'CO451', null, 'IPv4 inside IPv6 only as a dotted quad');
select throws_ok($$select coord.normalize_host('[1.2.3.4]')$$, 'CO451', null, 'brackets hold IPv6 only');
select throws_ok($$select coord.normalize_host('%31.2.3.4')$$, 'CO451', null, 'percent-encoding is CO451');
select throws_ok($$select coord.normalize_host('http://1.2.3.4/')$$, 'CO451', null, 'a URL is CO451');
select throws_ok($$select coord.normalize_host('1.2.3.4:0')$$, 'CO451', null, 'port 0 is CO451');

select is((select p.pattern || ' ' || coalesce(p.network::text, '-') from coord.network_pattern('0xa9fea9fe') as p),
          '169.254.169.254 169.254.169.254/32', 'an address rule carries its /32');
select is((select p.pattern || ' ' || coalesce(p.network::text, '-') from coord.network_pattern('::ffff:10.0.0.0/104') as p),
          '10.0.0.0/8 10.0.0.0/8', 'a range inside the mapped prefix is the IPv4 range');
select is((select p.pattern || ' ' || coalesce(p.network::text, '-') from coord.network_pattern('*.Example.com.') as p),
          '*.example.com -', 'a name rule has no network');
select throws_ok($$select coord.network_pattern('10.1.2.3/8')$$, 'CO454', null, 'bits past the prefix are CO454');
select throws_ok($$select coord.network_pattern('*.10.0.0.1')$$, 'CO451', null, '*. applies to names only');

select * from finish();
rollback;
