-- coord.normalize_path: canonical forms and the registered error for each bad input.
begin;
set local search_path = tap, public;
select plan(23);

select is(coord.normalize_path('./a'), 'a', './a -> a');
select is(coord.normalize_path('a//b'), 'a/b', 'a//b -> a/b');
select is(coord.normalize_path('a/./b'), 'a/b', 'a/./b -> a/b');
select is(coord.normalize_path('x/../a'), 'a', 'x/../a -> a');
select is(coord.normalize_path('./a/../b'), 'b', './a/../b -> b');
select throws_ok($$select coord.normalize_path('/src/app.py')$$, 'CO206', null, 'an absolute path is CO206');
select throws_ok($$select coord.normalize_path('C:\repo\a.py')$$, 'CO206', null, 'a drive letter is CO206');
select throws_ok($$select coord.normalize_path('\\server\share')$$, 'CO206', null, 'a UNC path is CO206');
select is(coord.normalize_path(U&'caf\0065\0301.txt'), U&'caf\00E9.txt', 'Unicode is normalized to NFC');
select is(coord.normalize_path('src\lib\x.py'), 'src/lib/x.py', 'a backslash is a separator');
select is(coord.normalize_path('src/'), 'src/', 'a trailing / marks a directory');
select is(coord.normalize_path('src/lib/..'), 'src/', 'a final .. names a directory');
select is(coord.normalize_path('src/.'), 'src/', 'a final . names a directory');
select is(coord.normalize_path('Src/App.PY'), 'Src/App.PY', 'case is preserved');
select is(coord.normalize_path('a b/c d.txt'), 'a b/c d.txt', 'spaces are ordinary characters');

select throws_ok($$select coord.normalize_path('')$$, 'CO201', null, 'empty path is CO201');
select throws_ok($$select coord.normalize_path(null)$$, 'CO201', null, 'null path is CO201');
select throws_ok(format('select coord.normalize_path(%L)', repeat('a', 4097)), 'CO202', null, 'over 4096 bytes is CO202');
select lives_ok(format('select coord.normalize_path(%L)', repeat('a', 4096)), 'exactly 4096 bytes is accepted');
select throws_ok($$select coord.normalize_path(E'a\tb')$$, 'CO203', null, 'a control character is CO203');
select throws_ok($$select coord.normalize_path('../etc/passwd')$$, 'CO204', null, '../ escaping the root is CO204');
select throws_ok($$select coord.normalize_path('a/../../b')$$, 'CO204', null, 'climbing past the root midway is CO204');
select throws_ok($$select coord.normalize_path('./')$$, 'CO205', null, 'the root itself is CO205');

select * from finish();
rollback;
