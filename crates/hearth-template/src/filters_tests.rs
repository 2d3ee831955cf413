//! Filters and tests rendered through a full `Templar`, with outputs checked against
//! ansible-core 2.18 (`ansible localhost -m debug -a 'msg=...'`).

use serde_json::json;

use crate::Templar;
use hearth_formats::value::Value;

/// The variables every case sees (the same ones the Ansible run had).
fn vars() -> Value {
    json!({
        "yaml_text": "a: yes\nb: [1, 2]\nc: 1.5\nd: ~\ne: \"x\"\nf: y",
        "hostvars": {"h1": {"y": 2}}, "hv": {"h1": {"y": 2, "n": {"a": 5}}},
        "d": {"a": 1, "b": {"c": [1, 2]}}, "l": [3, 1, 2], "s": "Hello World",
        "users": [{"name": "bob", "age": 30, "admin": true}, {"name": "amy", "age": 25, "admin": false}],
        "res_ok": {"changed": false, "failed": false}, "res_ch": {"changed": true},
        "res_skip": {"skipped": true, "changed": false},
        "res_loop": {"results": [{"changed": false}, {"changed": true}]}, "res_fail": {"failed": true},
    })
}

/// Renders a playbook string (with a leading `=` so it never is a lone expression).
fn render(text: &str) -> Result<String, String> {
    let t = Templar::new();
    let ctx = t.context(vars().as_object().unwrap());
    match t.render_value(&Value::String(format!("={text}")), &ctx) {
        Ok(Value::String(s)) => Ok(s[1..].to_string()),
        Ok(other) => Err(format!("not a string: {other}")),
        Err(e) => Err(e.message),
    }
}

/// Renders each case and compares with the expected text.
fn check(cases: &[(&str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(text, want)| {
            let got = render(text).unwrap_or_else(|e| format!("ERROR: {e}"));
            (got != *want).then(|| format!("{text}\n  want {want:?}\n  got  {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// (playbook string, what ansible-core 2.18 rendered)
const ANSIBLE_CASES: &[(&str, &str)] = &[
    ("{{ [1, 'a'] }}", "[1, 'a']"),
    ("{{ {'a': True, 'b': None, 'c': 1.5} }}", "{'a': True, 'b': None, 'c': 1.5}"),
    ("{{ \"it's\" }} {{ [\"it's\", 'a\"b', \"x\\ny\"] }}", "it's [\"it's\", 'a\"b', 'x\\\\ny']"),
    ("{{ 1.0 }} {{ 2 * 1.5 }} {{ 1e20 }} {{ 10 / 4 }} {{ 7 // 2 }}", "1.0 3.0 1e+20 2.5 3"),
    ("{{ True }} {{ None }}", "True "),
    ("{{ x | default('a') }}", "a"),
    ("{{ '' | default('e', true) }} {{ '' | default('e') }}", "e "),
    ("{{ d.zz | default(1) }}", "1"),
    ("{{ d.b.c }}", "[1, 2]"),
    (
        "{{ ['h1'] | map('extract', hv, ['n', 'a']) | list }} {{ 'a' | extract(d) }} {{ ['b'] | map('extract', d, 'c') | list }} {{ ['h1', 'zz'] | map('extract', hv) | map('default', 0) | list }}",
        "[5] 1 [[1, 2]] [{'y': 2, 'n': {'a': 5}}, 0]",
    ),
    (
        "{{ 'yes' | bool }} {{ 'off' | bool }} {{ 1 | bool }} {{ 'x' | bool }} {{ None | bool }} {{ 'TRUE' | bool }}",
        "True False True False  True",
    ),
    (
        "{{ '42' | int }} {{ 'abc' | int }} {{ '4.7' | int }} {{ 3.9 | int }} {{ '0x1f' | int(base=16) }} {{ 'z' | int(7) }} {{ True | int }}",
        "42 0 4 3 31 7 1",
    ),
    ("{{ '1.5' | float }} {{ 'x' | float }} {{ 2 | float }}", "1.5 0.0 2.0"),
    (
        "{{ [1, True] | string }} {{ 5 | string }} {{ None | string }} {{ {'a': 1} | string }}",
        "[1, True] 5 None {'a': 1}",
    ),
    ("{{ 'AbC' | lower }} {{ 'AbC' | upper }} {{ '  x  ' | trim }}", "abc ABC x"),
    ("{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }}", "bbb bba"),
    ("{{ 'foo bar' | regex_replace('o+', '0') }}", "f0 bar"),
    (
        "{{ nope is sequence }} {{ 'abc' is sequence }} {{ {} is sequence }} {{ [1] is sequence }} \
         {{ 1 is sequence }} {{ none is sequence }}",
        "False True True True False False",
    ),
    (
        "{{ none is iterable }} {{ 'a' is iterable }} {{ {} is iterable }} {{ 1 is iterable }}",
        "False True True False",
    ),
    // Look-around and backreferences (the fallback engine), as ansible-core 2.18 prints them.
    ("{{ 'foo=1 bar=2' | regex_replace('(?<=foo=)\\d', 'X') }}", "foo=X bar=2"),
    ("{{ 'hello hello world' | regex_search('(\\w+) \\1') }}", "hello hello"),
    ("{{ 'ab ac ad' | regex_findall('a(?!b)\\w') }}", "['ac', 'ad']"),
    ("{{ 'the the' is search('(?P<w>\\w+) (?P=w)') }}", "True"),
    ("{{ 'x x y' | regex_replace('(?P<w>\\w) (?P=w)', '<\\g<w>>') }}", "<x> y"),
    ("{{ 'café' | regex_search('(?<=f)\\w') }}", "é"),
    ("{{ 'ab' is match('a(?=b)') }} {{ 'ac' is match('a(?=b)') }}", "True False"),
    ("{{ 'key=val' | regex_replace('^(\\w+)=(\\w+)$', '\\2=\\1') }}", "val=key"),
    ("{{ 'key=val' | regex_replace('(?P<k>\\w+)=(?P<v>\\w+)', '\\g<v>:\\g<k>') }}", "val:key"),
    ("{{ 'ABC abc' | regex_replace('abc', 'x', ignorecase=True) }}", "x x"),
    ("{{ 'a\\nb\\nc' | regex_replace('^', '# ', multiline=True) }}", "# a\\nb\\nc"),
    ("{{ 'aaa' | regex_replace('a', 'b', count=2) }}", "bba"),
    ("{{ 'server1.example.com' | regex_search('server[0-9]+') }}", "server1"),
    ("{{ 'nothing' | regex_search('server') }}", ""),
    ("{{ 'user=bob id=7' | regex_search('user=(\\w+) id=(?P<id>\\d+)', '\\1', '\\g<id>') }}", "['bob', '7']"),
    ("{{ 'a1b22c333' | regex_findall('\\d+') }}", "['1', '22', '333']"),
    ("{{ 'k1=v1 k2=v2' | regex_findall('(\\w+)=(\\w+)') }}", "[('k1', 'v1'), ('k2', 'v2')]"),
    ("{{ 'a.b*c' | regex_escape }}", "a\\.b\\*c"),
    (
        "{{ 'hello' | b64encode }} {{ 'aGVsbG8=' | b64decode }} {{ 'héllo' | b64encode }}",
        "aGVsbG8= hello aMOpbGxv",
    ),
    (
        "{{ {'b': 1, 'a': [1, 'x', None, True, 1.5]} | to_json }}",
        "{\"b\": 1, \"a\": [1, \"x\", null, true, 1.5]}",
    ),
    (
        "{{ {'b': 1, 'a': [1, {'z': 'é'}], 'c': {}} | to_nice_json }}",
        "{\n    \"a\": [\n        1,\n        {\n            \"z\": \"\\u00e9\"\n        }\n    ],\n    \"b\": 1,\n    \"c\": {}\n}",
    ),
    ("{{ {'a': [1, 2]} | to_yaml }}", "a: [1, 2]\n"),
    ("{{ {'a': [1, 2], 'b': {'c': 'yes'}} | to_nice_yaml }}", "a:\n- 1\n- 2\nb:\n    c: 'yes'\n"),
    ("{{ '{\"a\": [1, 2.5, null]}' | from_json }}", "{'a': [1, 2.5, None]}"),
    ("{{ yaml_text | from_yaml }}", "{'a': True, 'b': [1, 2], 'c': 1.5, 'd': None, 'e': 'x', 'f': 'y'}"),
    ("{{ {'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}, 'c': 3}) }}", "{'a': 1, 'b': {'y': 2}, 'c': 3}"),
    (
        "{{ {'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=True) }}",
        "{'a': 1, 'b': {'x': 1, 'y': 2}}",
    ),
    ("{{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append') }}", "{'a': [1, 2, 2, 3]}"),
    ("{{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp') }}", "{'a': [1, 2, 3]}"),
    ("{{ {'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend') }}", "{'a': [2, 3, 1, 2]}"),
    ("{{ {'a': 1} | combine({'b': 2}, {'a': 3}) }}", "{'a': 3, 'b': 2}"),
    ("{{ [{'a': 1}, {'b': 2}] | combine }}", "{'a': 1, 'b': 2}"),
    ("{{ {'a': 1, 'b': 2} | dict2items }}", "[{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}]"),
    ("{{ {'a': 1} | dict2items(key_name='k', value_name='v') }}", "[{'k': 'a', 'v': 1}]"),
    ("{{ [{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}] | items2dict }}", "{'a': 1, 'b': 2}"),
    ("{{ [{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v') }}", "{'a': 1}"),
    (
        "{{ true | ternary('y', 'n') }} {{ '' | ternary('y', 'n') }} {{ None | ternary('y', 'n', 'z') }} {{ 'false' | ternary('y', 'n') }}",
        "y n z y",
    ),
    (
        "{{ [1, 2, 3] | join(',') }} {{ [1, True, None] | join }} {{ users | join(', ', attribute='name') }}",
        "1,2,3 1TrueNone bob, amy",
    ),
    (
        "{{ 'a b  c' | split }} {{ 'a,b,,c' | split(',') }} {{ 'a,b,c' | split(',', 1) }}",
        "['a', 'b', 'c'] ['a', 'b', '', 'c'] ['a', 'b,c']",
    ),
    ("{{ l | first }} {{ l | last }} {{ l | length }} {{ 'abc' | count }} {{ d | length }}", "3 2 3 3 2"),
    ("{{ [1, 2, 1, 3] | unique }} {{ ['a', 'A', 'b'] | unique }}", "[1, 2, 3] ['a', 'b']"),
    (
        "{{ l | sort }} {{ l | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='name') | list }}",
        "[1, 2, 3] [3, 2, 1] ['amy', 'bob']",
    ),
    ("{{ ['B', 'a', 'C'] | sort }}", "['a', 'B', 'C']"),
    ("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }}", "[1, 3] [2, 4]"),
    (
        "{{ users | map(attribute='name') | list }} {{ ['a', 'b'] | map('upper') | list }}",
        "['bob', 'amy'] ['A', 'B']",
    ),
    (
        "{{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | rejectattr('admin') | map(attribute='name') | list }}",
        "['bob'] ['amy']",
    ),
    ("{{ users | selectattr('age', 'gt', 26) | map(attribute='name') | list }}", "['bob']"),
    (
        "{{ users | selectattr('name', 'equalto', 'amy') | list }}",
        "[{'name': 'amy', 'age': 25, 'admin': False}]",
    ),
    (
        "{{ ['abc', 'xbc'] | select('match', 'a') | list }} {{ ['abc', 'xbc'] | select('search', 'b') | list }}",
        "['abc'] ['abc', 'xbc']",
    ),
    (
        "{{ '/etc/nginx/nginx.conf' | basename }} {{ '/etc/nginx/nginx.conf' | dirname }} {{ 'a/b.tar.gz' | splitext }}",
        "nginx.conf /etc/nginx ('a/b.tar', '.gz')",
    ),
    (
        "{{ 'hello' | hash('sha256') }} {{ 'hello' | hash('sha1') }} {{ 'hello' | hash('md5') }} {{ 'hello' | md5 }} {{ 'hello' | checksum }}",
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d 5d41402abc4b2a76b9719d911017c592 5d41402abc4b2a76b9719d911017c592 aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
    ),
    (
        "{{ \"it's a test\" | quote }} {{ 'simple' | quote }} {{ '' | quote }} {{ None | quote }}",
        "'it'\"'\"'s a test' simple '' ''",
    ),
    (
        "{{ [1, [2, [3, [4]]], None, 'null'] | flatten }} {{ [1, [2, [3, [4]]]] | flatten(levels=1) }}",
        "[1, 2, 3, 4] [1, 2, [3, [4]]]",
    ),
    ("{{ [1, 2] | zip(['a', 'b']) | list }}", "[(1, 'a'), (2, 'b')]"),
    (
        "{{ l | min }} {{ l | max }} {{ users | max(attribute='age') }}",
        "1 3 {'name': 'bob', 'age': 30, 'admin': True}",
    ),
    (
        "{{ [1, 2, 3] | difference([2]) }} {{ [1, 2, 3] | intersect([2, 3, 4]) }} {{ [1, 2] | union([2, 3]) }} {{ [1, 2] | symmetric_difference([2, 3]) }}",
        "[1, 3] [2, 3] [1, 2, 3] [1, 3]",
    ),
    ("{{ dict(a=1, b='x') }}", "{'a': 1, 'b': 'x'}"),
    ("{{ d | items | list }}", "[('a', 1), ('b', {'c': [1, 2]})]"),
    ("{{ 'a b&c=d' | urlencode }}", "a%20b%26c%3Dd"),
    (
        "{{ '1.2.3' is version('1.2', '>=') }} {{ '1.2.3' is version_compare('1.10', '<') }} {{ '2.0' is version('2.0.0', 'eq', strict=True) }} {{ '1.0.0-rc1' is version('1.0.0', 'lt', version_type='semver') }}",
        "True True True True",
    ),
    (
        "{{ -3 | abs }} {{ 3.7 | round }} {{ 3.14159 | round(2) }} {{ 42 | round }} {{ 2.5 | round }} {{ 3.7 | round(0, 'floor') }}",
        "3 4.0 3.14 42 2.0 3.0",
    ),
    (
        "{{ res_ch is changed }} {{ res_ok is changed }} {{ res_loop is changed }} {{ res_ok is failed }} {{ res_fail is failed }} {{ res_ok is succeeded }} {{ res_fail is success }} {{ res_skip is skipped }} {{ res_ok is skipped }}",
        "True False True False True True False True False",
    ),
    (
        "{{ 'abc' is match('b') }} {{ 'abc' is search('b') }} {{ 'abc' is match('a') }} {{ 'ABC' is match('a', ignorecase=True) }} {{ 'abc' is regex('c$') }}",
        "False True True True True",
    ),
    (
        "{{ x is defined }} {{ x is undefined }} {{ d is mapping }} {{ l is sequence }} {{ 's' is string }} {{ 1 is number }} {{ None is none }} {{ 2 in l }}",
        "False True True True True True True True",
    ),
    (
        "{{ 'yes' is truthy }} {{ 'no' is truthy(convert_bool=True) }} {{ '' is falsy }} {{ 0 is falsy }}",
        "True False True True",
    ),
    (
        "{{ [1, 2] is subset([1, 2, 3]) }} {{ [1, 2, 3] is superset([2]) }} {{ l is contains(1) }} {{ [1] is subset([2]) }}",
        "True True True False",
    ),
    (
        "{{ '/etc' is directory }} {{ '/etc/passwd' is file }} {{ '/nonexistent' is exists }} {{ '/etc/passwd' is abs }} {{ 'rel' is abs }} {{ '/etc' is link }}",
        "True True False True False False",
    ),
    ("{{ 'x' | mandatory }}", "x"),
    (
        "{{ 1 | type_debug }} {{ 'a' | type_debug }} {{ [1] | type_debug }} {{ {} | type_debug }} {{ 1.5 | type_debug }}",
        "int str list dict float",
    ),
    ("{{ ['a', 'b'] | path_join }} {{ ['/a', '/b', 'c'] | path_join }}", "a/b /b/c"),
    ("{{ \"x\" ~ 1.0 ~ True }}", "x1.0True"),
    ("{{ 'a\\nb' }}", "a\\nb"),
    ("{{ hostvars['h1'].x | default('dflt') }} {{ hostvars['h1'].y }}", "dflt 2"),
    ("{{ d.b | default('z') }} {{ (d.zz | default({})).q | default(3) }}", "{'c': [1, 2]} 3"),
    (
        "{{ d.get('a') }} {{ d.keys() | list }} {{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ 'abc'.startswith('a') }} {{ 'x'.upper() }}",
        "1 ['a', 'b'] ['a', 'b'] x True X",
    ),
    ("{{ '%s-%d' | format('a', 3) }}", "a-3"),
    (
        "{{ [3, 1] | sort | first }} {{ range(3) | list }} {{ l | sum }} {{ [[1], [2]] | sum(start=[]) }}",
        "1 [0, 1, 2] 6 [1, 2]",
    ),
    ("{{ 'a' ~ none }} {{ [none] }}", "aNone [None]"),
    ("{{ {'k': 'v'} | to_json(indent=2) }}", "{\n  \"k\": \"v\"\n}"),
    (
        "{{ 'x' | to_json }} {{ 1.0 | to_json }} {{ 'é' | to_json }} {{ {'é': 1} | to_json(ensure_ascii=False) }}",
        "\"x\" 1.0 \"\\u00e9\" {\"é\": 1}",
    ),
    ("{{ [1, 2] | to_yaml }} {{ 'x' | to_nice_yaml }}", "[1, 2]\n x\n"),
    ("{{ {'a': {'b': [1, {'c': 2}]}} | to_nice_yaml(indent=2) }}", "a:\n  b:\n  - 1\n  - c: 2\n"),
    ("{{ 'aaa' | regex_replace('(a)', '\\1-') }}", "a-a-a-"),
    (
        "{{ '1.2.10' is version('1.2.9', '>') }} {{ '1.2' is version('1.2.0', '==') }} {{ 'v1' is version('v2', '<') }}",
        "True False True",
    ),
    ("{{ 'abc' | regex_search('(b)(c)', '\\2') }}", "['c']"),
    ("{{ ['a', 'b'] | zip([1, 2]) | list | items2dict(key_name=0, value_name=1) }}", "{'a': 1, 'b': 2}"),
    (
        "{{ 'a\\tb' | regex_replace('\\t', ' ') }} {{ 'x.y' | regex_replace('\\.', '-') }} {{ 'foo\\nbar' | regex_replace('o$', 'X') }}",
        "a\\tb x-y foo\\nbar",
    ),
];

#[test]
fn renders_like_ansible() {
    check(ANSIBLE_CASES);
}

#[test]
fn strict_undefined_with_defaults() {
    check(&[
        ("{{ x | default('a') }}", "a"),
        ("{{ x is defined }} {{ x is not defined }}", "False True"),
        ("{{ d.zz | default(1) }}", "1"),
        ("{{ d['zz'] | default(3) }}", "3"),
        ("{{ hostvars['h1'].x | default('dflt') }}", "dflt"),
        ("{{ d.zz is defined }}", "False"),
    ]);
}

/// Ansible's undefined chains under `default` (`d.zz.yy | default(2)` gives 2); more cases in
/// `chain.rs`.
#[test]
fn undefined_chains_under_default() {
    check(&[("{{ d.zz.yy | default(2) }}", "2")]);
}

#[test]
fn strict_undefined_errors_name_the_culprit() {
    for (text, needle) in
        [("{{ nope }}", "nope"), ("{{ d.zz }}", "zz"), ("{{ d['zz'] }}", "zz"), ("{{ d.zz.yy }}", "zz")]
    {
        let err = render(text).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
    }
}

/// Tests that touch their value fail on an undefined one, as in Ansible (minijinja answered).
#[test]
fn touching_tests_fail_on_undefined() {
    for text in ["{{ nope is iterable }}", "{{ nope is truthy }}", "{{ nope is falsy }}"] {
        assert!(render(text).unwrap_err().contains("undefined"), "{text}");
    }
}

#[test]
fn mandatory_fails_on_undefined() {
    assert!(render("{{ nope | mandatory }}").unwrap_err().contains("Mandatory variable"));
    assert!(render("{{ nope | mandatory('set nope!') }}").unwrap_err().contains("set nope!"));
}
