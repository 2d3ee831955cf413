//! Expected outputs recorded from Ansible 2.18's `to_yaml` / `to_nice_yaml` (PyYAML 6 + libyaml).

use super::*;

/// (input as JSON, `to_yaml` output, `to_nice_yaml` output)
const CASES: &[(&str, &str, &str)] = &[
    ("{\"a\": [1, 2]}", "a: [1, 2]\n", "a:\n- 1\n- 2\n"),
    (
        "{\"b\": {\"c\": [1, {\"d\": 2}], \"e\": []}, \"a\": {}}",
        "a: {}\nb:\n  c:\n  - 1\n  - {d: 2}\n  e: []\n",
        "a: {}\nb:\n    c:\n    - 1\n    -   d: 2\n    e: []\n",
    ),
    ("[[1, 2], [3, [4]]]", "- [1, 2]\n- - 3\n  - [4]\n", "-   - 1\n    - 2\n-   - 3\n    -   - 4\n"),
    ("[{\"a\": 1, \"b\": 2}, \"x\"]", "- {a: 1, b: 2}\n- x\n", "-   a: 1\n    b: 2\n- x\n"),
    (
        "{\"s\": \"yes\", \"t\": \"1.5\", \"u\": \"\", \"v\": \"a: b\", \"w\": \"multi\\nline\\n\", \"x\": \"it's\", \"y\": \"-x\", \"z\": \"null\", \"q\": \"é\", \"r\": \" lead\", \"p\": \"tab\\there\", \"o\": \"#c\", \"n\": \"a #b\", \"m\": \"x:\", \"l\": \"10\", \"k\": \"0o10\", \"j\": \"~\", \"i\": \"1e3\", \"h\": \"@at\", \"g\": \"%p\", \"f\": \"`b\", \"e\": \"!t\", \"d\": \"*a\", \"c\": \"&a\", \"b2\": \"[x\", \"a2\": \"{x\", \"a3\": \"x]\", \"a4\": \"a,b\", \"a5\": \"?\", \"a6\": \"- \", \"a7\": \"-\", \"a8\": \"a\\\"b\", \"a9\": \"trailing \", \"b1\": \"no\\nend\"}",
        "{a2: '{x', a3: 'x]', a4: 'a,b', a5: '?', a6: '- ', a7: '-', a8: a\"b, a9: 'trailing ',\n  b1: 'no\n\n    end', b2: '[x', c: '&a', d: '*a', e: '!t', f: '`b', g: '%p', h: '@at', i: 1e3,\n  j: '~', k: 0o10, l: '10', m: 'x:', n: 'a #b', o: '#c', p: \"tab\\there\", q: é, r: ' lead',\n  s: 'yes', t: '1.5', u: '', v: 'a: b', w: 'multi\n\n    line\n\n    ', x: it's, y: -x, z: 'null'}\n",
        "a2: '{x'\na3: x]\na4: a,b\na5: '?'\na6: '- '\na7: '-'\na8: a\"b\na9: 'trailing '\nb1: 'no\n\n    end'\nb2: '[x'\nc: '&a'\nd: '*a'\ne: '!t'\nf: '`b'\ng: '%p'\nh: '@at'\ni: 1e3\nj: '~'\nk: 0o10\nl: '10'\nm: 'x:'\nn: 'a #b'\no: '#c'\np: \"tab\\there\"\nq: é\nr: ' lead'\ns: 'yes'\nt: '1.5'\nu: ''\nv: 'a: b'\nw: 'multi\n\n    line\n\n    '\nx: it's\ny: -x\nz: 'null'\n",
    ),
    (
        "{\"f\": 1.5, \"g\": 1e+20, \"h\": true, \"i\": null, \"j\": 0.1, \"k\": 1.0, \"l\": -3}",
        "{f: 1.5, g: 1.0e+20, h: true, i: null, j: 0.1, k: 1.0, l: -3}\n",
        "f: 1.5\ng: 1.0e+20\nh: true\ni: null\nj: 0.1\nk: 1.0\nl: -3\n",
    ),
    ("\"plain\"", "plain\n", "plain\n"),
    ("5", "5\n", "5\n"),
    ("null", "null\n", "null\n"),
    ("[]", "[]\n", "[]\n"),
    ("{}", "{}\n", "{}\n"),
    (
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx yyyyyyyyyy\"",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n  yyyyyyyyyy\n",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n    yyyyyyyyyy\n",
    ),
    (
        "\"word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word\"",
        "word word word word word word word word word word word word word word word word word\n  word word word word word word word word word word word word word\n",
        "word word word word word word word word word word word word word word word word word\n    word word word word word word word word word word word word word\n",
    ),
    ("[[]]", "- []\n", "- []\n"),
    ("[{}]", "- {}\n", "- {}\n"),
    ("{\"a\": [[1]]}", "a:\n- [1]\n", "a:\n-   - 1\n"),
    (
        "{\"k\": [{\"a\": [1, 2], \"b\": {\"c\": 1}}]}",
        "k:\n- a: [1, 2]\n  b: {c: 1}\n",
        "k:\n-   a:\n    - 1\n    - 2\n    b:\n        c: 1\n",
    ),
    (
        "{\"long\": \"line one that is fairly long and has many words in it to exceed the width of eighty characters\"}",
        "{long: line one that is fairly long and has many words in it to exceed the width of\n    eighty characters}\n",
        "long: line one that is fairly long and has many words in it to exceed the width of\n    eighty characters\n",
    ),
    (
        "{\"ml\": \"first\\nsecond\\n\\nfourth\"}",
        "{ml: 'first\n\n    second\n\n\n    fourth'}\n",
        "ml: 'first\n\n    second\n\n\n    fourth'\n",
    ),
    ("\"\\u0001ctrl\"", "\"\\x01ctrl\"\n", "\"\\x01ctrl\"\n"),
    ("{\"1\": \"a\", \"b\": \"c\"}", "{'1': a, b: c}\n", "'1': a\nb: c\n"),
    ("\"o'neil \\\"q\\\"\"", "o'neil \"q\"\n", "o'neil \"q\"\n"),
    ("{\"\": 1}", "{'': 1}\n", "'': 1\n"),
    (
        "{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": 1}",
        "{? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n  : 1}\n",
        "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: 1\n",
    ),
    ("\"a\\rb\"", "\"a\\rb\"\n", "\"a\\rb\"\n"),
    ("\"x y\"", "x y\n", "x y\n"),
    (
        "{\"a\": \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}",
        "{a: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}\n",
        "a: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
    ),
    (
        "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\"]",
        "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb]\n",
        "- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\n",
    ),
    ("\"a  b\"", "a  b\n", "a  b\n"),
    ("\"- a\"", "'- a'\n", "'- a'\n"),
    ("\":a\"", ":a\n", ":a\n"),
    ("\"a:b\"", "a:b\n", "a:b\n"),
    ("\"2001-01-01\"", "'2001-01-01'\n", "'2001-01-01'\n"),
    ("\"<<\"", "'<<'\n", "'<<'\n"),
    ("\"=\"", "'='\n", "'='\n"),
    ("\"0x1F\"", "'0x1F'\n", "'0x1F'\n"),
    ("\"+1\"", "'+1'\n", "'+1'\n"),
    ("\"1_000\"", "'1_000'\n", "'1_000'\n"),
    ("\".5\"", "'.5'\n", "'.5'\n"),
    ("\"1:20\"", "'1:20'\n", "'1:20'\n"),
    ("\"Yes\"", "'Yes'\n", "'Yes'\n"),
    ("\"y\"", "y\n", "y\n"),
    ("\"NULL\"", "'NULL'\n", "'NULL'\n"),
    (
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\\"  bbb\"",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  bbb\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  bbb\n",
    ),
    (
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \\t y\"",
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n  \\t y\"\n",
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n    \\t y\"\n",
    ),
    (
        "{\"x\": \"'q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q \"}",
        "{x: '''q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q\n    q q q q q q q q q q q q '}\n",
        "x: '''q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q\n    q q q q q q q q q q q q '\n",
    ),
    (
        "[\"long item long item long item long item long item long item long item long item long item long item \", \"short\"]",
        "['long item long item long item long item long item long item long item long item\n    long item long item ', short]\n",
        "- 'long item long item long item long item long item long item long item long item\n    long item long item '\n- short\n",
    ),
    (
        "{\"k\": [\"v v v v v v v v v v v v v v v v v v v v v v v v v v v v v v \"]}",
        "k: ['v v v v v v v v v v v v v v v v v v v v v v v v v v v v v v ']\n",
        "k:\n- 'v v v v v v v v v v v v v v v v v v v v v v v v v v v v v v '\n",
    ),
    ("{\"m\\nk\": 1}", "{? 'm\n\n    k' : 1}\n", "? 'm\n\n    k'\n: 1\n"),
    ("\"--- doc\"", "'--- doc'\n", "'--- doc'\n"),
    ("\"a\\n b\"", "\"a\\n b\"\n", "\"a\\n b\"\n"),
    ("\"a \\nb\"", "\"a \\nb\"\n", "\"a \\nb\"\n"),
    ("\"\\n\"", "'\n\n  '\n", "'\n\n    '\n"),
    ("\" \"", "' '\n", "' '\n"),
    (
        "{\"env\": {\"PATH\": \"/usr/bin:/bin\", \"HOME\": \"/root\"}, \"ports\": [80, 443], \"name\": \"web\"}",
        "env: {HOME: /root, PATH: '/usr/bin:/bin'}\nname: web\nports: [80, 443]\n",
        "env:\n    HOME: /root\n    PATH: /usr/bin:/bin\nname: web\nports:\n- 80\n- 443\n",
    ),
];

#[test]
fn matches_ansible_output() {
    let mut failures = Vec::new();
    for (input, compact, nice) in CASES {
        let v: Value = serde_json::from_str(input).unwrap();
        let got = dump(&v, &YamlStyle::compact());
        if got != *compact {
            failures.push(format!("to_yaml {input}\n  want {compact:?}\n  got  {got:?}"));
        }
        let got = dump(&v, &YamlStyle::nice());
        if got != *nice {
            failures.push(format!("to_nice_yaml {input}\n  want {nice:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
