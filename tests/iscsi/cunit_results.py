#!/usr/bin/env python3
"""Classify the tests of one libiscsi ``iscsi-test-cu`` run as PASSED, FAILED or SKIPPED.

CUnit counts a test that skipped itself as passed: libiscsi's tests return early
after logging ``[SKIPPED] <why>`` and calling ``CU_PASS``.  This script reads the
text that ``iscsi-test-cu`` prints in its default CUnit mode (``-v``, verbose:
``Suite:`` / ``Test: <name> ...passed|FAILED`` lines) and reports a test as

* FAILED  when CUnit printed ``FAILED`` for it, or it never printed a result
          (the run crashed, hung and was killed, or the output was cut), or it
          is in ``--list`` but never ran;
* SKIPPED when it did not fail and any line it printed contains ``[SKIPPED]``
          (a skipped test prints e.g. ``[SKIPPED] UNMAP is not implemented.``
          or ``[SKIPPED] Logical unit is fully provisioned. Skipping test``),
          or it is one of the tests that skip silently for the LUN geometry
          given with ``--lun-blocks``/``--max-transfer-length`` (SILENT_SKIPS);
* PASSED  otherwise.

Run ``iscsi-test-cu`` with ``-V``: some tests log their skip only at libiscsi's
LOG_VERBOSE level (NoMedia.NoMediaSBC, StartStopUnit.PwrCnd/NoLoej: ``[SKIPPED]
LUN is not removable``), which the default output leaves out.

``[SKIPPING] ...`` lines (a test leaving out some of its asserts, e.g. ``No
MAXIMUM WRITE SAME LENGTH``) and ``[WARNING]``/``[INFO]`` lines do not make a
test SKIPPED.  CUnit's XML output (``-x``) names no skips, so only the text
output is accepted.  Tests are named ``<suite>.<test>``, e.g. ``WriteSame16.Unmap``
(``iscsi-test-cu -l`` prints the same names under a family prefix such as
``ALL.``, which ``--list`` strips).

Modes:
  cunit_results.py OUTPUT                 totals
  cunit_results.py --tests OUTPUT         plus one line per test: "<suite>.<test> <STATUS>"
  cunit_results.py --expected FILE OUTPUT compare with an expected-not-passing list
                                          (lines "<suite>.<test>  # reason"); exit 1 when a
                                          listed test passes, an unlisted test fails or
                                          skips, or the run looks incomplete. --expected may
                                          be given more than once: the lists add up (a test
                                          in two of them is a usage error).
Standard library only.  Exit status 2 for usage errors and unreadable input.
"""

import argparse
import re
import sys
from collections import OrderedDict

PASSED, FAILED, SKIPPED = "PASSED", "FAILED", "SKIPPED"
STATUSES = (PASSED, FAILED, SKIPPED)

SUITE_RE = re.compile(r"^Suite: (?P<suite>\S.*?)\s*$")
TEST_RE = re.compile(r"^  Test: (?P<test>\S.*?) \.\.\.(?P<rest>.*)$")
RESULT_RE = re.compile(r"^(?P<word>passed|FAILED)(?P<tail>(?:\s.*)?)$")
ASSERT_RE = re.compile(r"^\d+\. \S+:\d+ ")
SKIP_MARK = "[SKIPPED]"
VERBOSE_LOG_RE = re.compile(r"(?:^|\s)(?:Send [A-Z]|\[OK\] [A-Z])")
SUMMARY_TESTS_RE = re.compile(
    r"^\s*tests\s+(?P<total>\d+)\s+(?P<ran>\d+)\s+(?P<passed>\d+)\s+(?P<failed>\d+)\s+(?P<inactive>\d+)\s*$")
SUMMARY_SUITES_RE = re.compile(
    r"^\s*suites\s+(?P<total>\d+)\s+(?P<ran>\d+)\s+n/a\s+(?P<failed>\d+)\s+(?P<inactive>\d+)\s*$")
SUITE_SETUP_FAIL_RE = re.compile(r"^WARNING - Suite initialization failed for '(?P<suite>.*)'")

# Tests that skip without printing anything (a bare CU_PASS, invisible in the
# output) when the LUN's geometry crosses a limit (libiscsi 1.19 test-tool
# sources).  name -> (which geometry value, predicate on it, libiscsi's message).
# The geometry comes from --lun-blocks (READ CAPACITY's block count) and
# --max-transfer-length (Block Limits VPD page 0xB0 MAXIMUM TRANSFER LENGTH in
# blocks, 0 = no limit).  Not covered: a LUN without the Block Limits VPD page
# (WriteAtomic16.*, WriteSame10/16.ZeroBlocks then pass silently) and LUNs of
# 2^31 blocks or more (the 10/12-byte CDB beyond-EOL tests).
SILENT_SKIPS = {
    "Read6.BeyondEol": ("lun_blocks", lambda n: n > 0x1FFFFF,
                        "LUN is too big for read-beyond-eol tests with READ6"),
    "Read10.Async": ("max_transfer_length", lambda n: 0 < n < 8000,
                     "device too small for async_read test"),
    "Write10.Async": ("max_transfer_length", lambda n: 0 < n < 8000,
                      "device too small for async_write test"),
    "iSCSITMF.AbortTaskSimpleAsync": ("max_transfer_length", lambda n: 0 < n < 8,
                                      "device too small for async_abort test"),
    "iSCSITMF.LUNResetSimpleAsync": ("max_transfer_length", lambda n: 0 < n < 8,
                                     "device too small for async_reset test"),
}


class TestResult:
    __slots__ = ("name", "status", "reasons", "finished")

    def __init__(self, name):
        self.name = name
        self.status = None      # set once the run printed passed/FAILED
        self.reasons = []       # [SKIPPED]/[FAILED] lines, CUnit assert lines
        self.finished = False


class RunResult:
    def __init__(self):
        self.tests = OrderedDict()
        self.summary = None      # dict from CUnit's "tests" summary row, if printed
        self.problems = []       # reasons to distrust the run as a whole
        self.verbose_log = False # output has libiscsi's -V log ("    Send ...", "[OK] ...")

    def statuses(self):
        return OrderedDict((name, t.status) for name, t in self.tests.items())

    def counts(self):
        c = OrderedDict((s, 0) for s in STATUSES)
        for t in self.tests.values():
            c[t.status] += 1
        return c


def _strip_family(name):
    """'ALL.Read10.Simple' -> 'Read10.Simple'; 'Read10.Simple' stays."""
    parts = name.split(".")
    return ".".join(parts[1:]) if len(parts) >= 3 else name


def read_test_list(path):
    """Test names from `iscsi-test-cu -l` output: only the three-part lines."""
    names = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.count(".") >= 2 and " " not in line:
                names.append(_strip_family(line))
    return names


def parse(lines, test_list=None, lun_blocks=None, max_transfer_length=None):
    """Parse iscsi-test-cu text output (an iterable of lines) into a RunResult.

    CUnit's basic mode prints "\n  Test: <name> ..." and then "passed" or
    "FAILED" with no newline, so the result word starts a line (or follows the
    "..." directly) and whatever the test's teardown logs next can follow it on
    the same line.  libiscsi's own log lines are indented by four spaces.
    """
    run = RunResult()
    suite = None
    cur = None

    for raw in lines:
        line = raw.rstrip("\r\n")
        if not run.verbose_log and VERBOSE_LOG_RE.search(line):
            run.verbose_log = True
        m = SUITE_RE.match(line)
        if m:
            suite, cur = m.group("suite"), None
            continue
        m = SUITE_SETUP_FAIL_RE.match(line)
        if m:
            run.problems.append("suite initialization failed: %s" % m.group("suite"))
            cur = None
            continue
        m = TEST_RE.match(line)
        if m:
            name = "%s.%s" % (suite, m.group("test"))
            if name in run.tests:
                run.problems.append("test %s appears more than once" % name)
            cur = run.tests[name] = TestResult(name)
            line = m.group("rest")      # the result word or the test's first output
        m = SUMMARY_SUITES_RE.match(line)
        if m:
            if int(m.group("failed")):
                run.problems.append("CUnit reports %s suite(s) failed (setup or teardown)" % m.group("failed"))
            cur = None
            continue
        m = SUMMARY_TESTS_RE.match(line)
        if m:
            run.summary = {k: int(v) for k, v in m.groupdict().items()}
            cur = None
            continue
        if cur is None:
            continue
        if not cur.finished:
            m = RESULT_RE.match(line)
            if m:
                cur.finished = True
                cur.status = FAILED if m.group("word") == "FAILED" else PASSED
                line = m.group("tail")  # teardown output after the result: not the test's
                if line.strip().startswith("[FAILED]"):
                    cur.reasons.append("after the result: " + line.strip())
                continue
        text = line.strip()
        if not cur.finished:
            if SKIP_MARK in text or text.startswith("[FAILED]"):
                cur.reasons.append(text)
        elif ASSERT_RE.match(text):         # CUnit's list of failed asserts
            cur.reasons.append(text)

    for t in run.tests.values():
        if not t.finished:
            t.status = FAILED
            t.reasons.insert(0, "no result printed (crashed, hung or output cut)")
        elif t.status != FAILED and any(SKIP_MARK in r for r in t.reasons
                                        if not r.startswith("after the result")):
            t.status = SKIPPED

    geometry = {"lun_blocks": lun_blocks, "max_transfer_length": max_transfer_length}
    for name, (key, applies, why) in SILENT_SKIPS.items():
        t = run.tests.get(name)
        value = geometry[key]
        if t is not None and t.status == PASSED and value is not None and applies(value):
            t.status = SKIPPED
            t.reasons.append("[SKIPPED] %s (silent CU_PASS, %s=%d)" % (why, key, value))

    if test_list is not None:
        for name in test_list:
            if name not in run.tests:
                t = TestResult(name)
                t.status = FAILED
                t.reasons.append("listed by iscsi-test-cu -l but never ran")
                run.tests[name] = t
                run.problems.append("test %s never ran" % name)

    _check_summary(run)
    return run


def _check_summary(run):
    """Cross-check the parsed tests with CUnit's own 'tests' summary row."""
    if run.summary is None:
        run.problems.append("no CUnit run summary: the run did not finish")
        return
    finished = [t for t in run.tests.values() if t.finished]
    ran = len(finished)
    failed = sum(1 for t in finished if t.status == FAILED)
    s = run.summary
    if (s["ran"], s["passed"], s["failed"]) != (ran, ran - failed, failed):
        run.problems.append(
            "CUnit summary (ran %d, passed %d, failed %d) disagrees with the parsed output "
            "(ran %d, passed or skipped %d, failed %d)"
            % (s["ran"], s["passed"], s["failed"], ran, ran - failed, failed))


def read_expected(paths):
    """Expected-not-passing lists: '<suite>.<test>  # reason' per line; '#' lines and blanks ignored."""
    expected = OrderedDict()
    for path in paths:
        _read_expected_file(path, expected)
    return expected


def _read_expected_file(path, expected):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            body, _, reason = line.partition("#")
            body = body.strip()
            if not body:
                continue
            name = body.split()[0]
            if len(body.split()) != 1:
                raise ValueError("%s:%d: expected '<suite>.<test>  # reason', got %r" % (path, n, line.rstrip()))
            if not reason.strip():
                raise ValueError("%s:%d: %s has no reason (add '# why')" % (path, n, name))
            if _strip_family(name) in expected:
                raise ValueError("%s:%d: %s is listed twice" % (path, n, name))
            expected[_strip_family(name)] = reason.strip()


def compare(run, expected):
    """Messages for every disagreement between the run and the expected-not-passing list."""
    msgs = []
    st = run.statuses()
    for name, status in st.items():
        if status == PASSED and name in expected:
            msgs.append("now PASSES, remove it from the expected list: %s (was: %s)" % (name, expected[name]))
        elif status != PASSED and name not in expected:
            reason = "; ".join(run.tests[name].reasons[:2])
            msgs.append("unexpected %s: %s%s" % (status, name, (" -- " + reason) if reason else ""))
    for name in expected:
        if name not in st:
            msgs.append("listed but not in the run: %s" % name)
    msgs.extend("run problem: %s" % p for p in run.problems)
    return msgs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="iscsi-test-cu text output (default CUnit verbose mode); '-' for stdin")
    ap.add_argument("--tests", action="store_true", help='print one line per test: "<suite>.<test> <STATUS>"')
    ap.add_argument("--reasons", action="store_true", help="with --tests, append the first skip/failure line")
    ap.add_argument("--expected", metavar="FILE", action="append",
                    help="expected-not-passing list to compare with (repeat to add lists up)")
    ap.add_argument("--list", metavar="FILE", help="output of `iscsi-test-cu -l`: tests missing from the run count as FAILED")
    ap.add_argument("--lun-blocks", type=int, metavar="N",
                    help="logical blocks of the LUN under test (READ CAPACITY), to catch tests that skip silently")
    ap.add_argument("--max-transfer-length", type=int, metavar="N",
                    help="MAXIMUM TRANSFER LENGTH of the Block Limits VPD page in blocks (0: none), "
                         "to catch tests that skip silently")
    ap.add_argument("--min-passed", type=int, metavar="N", help="with --expected, also fail below N passed tests")
    args = ap.parse_args(argv)

    try:
        test_list = read_test_list(args.list) if args.list else None
        if args.output == "-":
            run = parse(sys.stdin, test_list, args.lun_blocks, args.max_transfer_length)
        else:
            with open(args.output, encoding="utf-8", errors="replace") as f:
                head = f.read(512)
                if head.lstrip().startswith("<?xml"):
                    print("error: %s is CUnit XML; it does not show self-skipped tests, "
                          "give the text output of a run without -x" % args.output, file=sys.stderr)
                    return 2
                f.seek(0)
                run = parse(f, test_list, args.lun_blocks, args.max_transfer_length)
        expected = read_expected(args.expected) if args.expected else None
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2

    if not run.tests:
        print("error: no tests found in %s" % args.output, file=sys.stderr)
        return 2

    if args.tests:
        for name, t in run.tests.items():
            extra = ("  # " + t.reasons[0]) if args.reasons and t.reasons and t.status != PASSED else ""
            print("%s %s%s" % (name, t.status, extra))

    c = run.counts()
    total = len(run.tests)
    for p in run.problems:
        print("warning: %s" % p, file=sys.stderr)
    if not run.verbose_log:
        print("note: no libiscsi -V log in the output; tests that skip at LOG_VERBOSE "
              "(e.g. 'LUN is not removable') count as PASSED", file=sys.stderr)
    if expected is None:
        # 'N passed, N failed, N skipped' on its own line, as CI log readers expect.
        print("iscsi-test-cu: %d passed, %d failed, %d skipped" % (c[PASSED], c[FAILED], c[SKIPPED]))
        print("total %d (CUnit counted %d as passed)" % (total, c[PASSED] + c[SKIPPED]))
        return 0

    msgs = compare(run, expected)
    if args.min_passed is not None and c[PASSED] < args.min_passed:
        msgs.append("only %d tests passed, fewer than the required %d" % (c[PASSED], args.min_passed))
    for m in msgs:
        print(m)
    print("iscsi-test-cu: %d passed, %d failed, %d skipped" % (c[PASSED], c[FAILED], c[SKIPPED]))
    print("total %d, %d expected not to pass; %s"
          % (total, len(expected), "OK" if not msgs else "%d disagreement(s)" % len(msgs)))
    return 1 if msgs else 0


if __name__ == "__main__":
    sys.exit(main())
