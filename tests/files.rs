//! File modules end to end: lineinfile, blockinfile, copy, template, file, stat.
