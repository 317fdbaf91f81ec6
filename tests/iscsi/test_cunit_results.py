"""Unit tests for cunit_results.py.  Run from tests/iscsi: python3 -m unittest

fixtures/tgtd-excerpt.out is real iscsi-test-cu 1.19.0 output from a run against
tgtd 1.0.85 (11 of the 51 suites cut out of the full run; only the suites/tests
counts of CUnit's summary were edited to match the excerpt).
fixtures/list-excerpt.txt is the matching part of `iscsi-test-cu -l`.
fixtures/tgtd-full-sync.out is the whole baseline run (thick LUN, --bsoflags sync),
fixtures/test-list-1.19.txt all of `iscsi-test-cu -l`, and
fixtures/tgtd-not-passing.txt tgtd's 70 not-passing tests as an expected list.
fixtures/tgtd-verbose-excerpt.out: three suites of a run with -V (libiscsi's verbose
log; Read6.Simple's 1000 lines cut out, summary edited to match).
"""

import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

import cunit_results as cr

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "tgtd-excerpt.out")
LIST = os.path.join(HERE, "fixtures", "list-excerpt.txt")
FULL = os.path.join(HERE, "fixtures", "tgtd-full-sync.out")
VERBOSE = os.path.join(HERE, "fixtures", "tgtd-verbose-excerpt.out")
FULL_LIST = os.path.join(HERE, "fixtures", "test-list-1.19.txt")
TGTD_NOT_PASSING = os.path.join(HERE, "fixtures", "tgtd-not-passing.txt")


def fixture_lines():
    with open(FIXTURE, encoding="utf-8") as f:
        return f.read().splitlines(keepends=True)


def run_main(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = cr.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


class ParseRealOutput(unittest.TestCase):
    def setUp(self):
        self.run = cr.parse(fixture_lines())
        self.st = self.run.statuses()

    def test_counts_and_no_problems(self):
        self.assertEqual(dict(self.run.counts()), {"PASSED": 22, "FAILED": 2, "SKIPPED": 19})
        self.assertEqual(len(self.st), 43)
        self.assertEqual(self.run.problems, [])
        self.assertEqual(self.run.summary["passed"], 41)   # CUnit: passed + self-skipped

    def test_plain_pass(self):
        self.assertEqual(self.st["Inquiry.Standard"], "PASSED")
        self.assertEqual(self.st["GetLBAStatus.Simple"], "PASSED")

    def test_pass_with_warning_is_passed(self):
        # "Test: Control ...    [WARNING] BUSY_TIMEOUT_PERIOD is undefined." then "passed"
        self.assertEqual(self.st["ModeSense6.Control"], "PASSED")

    def test_self_skip_on_header_line(self):
        self.assertEqual(self.st["CompareAndWrite.Simple"], "SKIPPED")
        self.assertEqual(self.st["GetLBAStatus.UnmapSingle"], "SKIPPED")
        self.assertIn("[SKIPPED] Logical unit is fully provisioned. Skipping test",
                      self.run.tests["GetLBAStatus.UnmapSingle"].reasons)

    def test_self_skip_followed_by_blank_line(self):
        self.assertEqual(self.st["Reserve6.TargetColdReset"], "SKIPPED")
        self.assertEqual(self.st["MultipathIO.CompareAndWriteAsync"], "SKIPPED")

    def test_failed_with_assert_lines(self):
        self.assertEqual(self.st["GetLBAStatus.BeyondEol"], "FAILED")
        reasons = self.run.tests["GetLBAStatus.BeyondEol"].reasons
        self.assertTrue(reasons[0].startswith("[FAILED] GET_LBA_STATUS successful"))
        self.assertIn("1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)", reasons)
        self.assertEqual(self.st["Reserve6.2Initiators"], "FAILED")

    def test_teardown_output_after_result_does_not_count(self):
        # "Test: LUNReset ...passed    [FAILED] PRIN command: failed with sense. ..."
        self.assertEqual(self.st["Reserve6.LUNReset"], "PASSED")
        self.assertEqual(self.st["iSCSITMF.AbortTaskSimpleAsync"], "PASSED")

    def test_silent_skip_needs_lun_geometry(self):
        self.assertEqual(self.st["Read6.BeyondEol"], "PASSED")
        run = cr.parse(fixture_lines(), lun_blocks=2 * 1024 * 1024)      # 1 GiB of 512 B blocks
        self.assertEqual(run.statuses()["Read6.BeyondEol"], "SKIPPED")
        run = cr.parse(fixture_lines(), lun_blocks=0x1FFFFF)
        self.assertEqual(run.statuses()["Read6.BeyondEol"], "PASSED")

    def test_silent_skip_for_small_max_transfer_length(self):
        run = cr.parse(fixture_lines(), max_transfer_length=4)
        self.assertEqual(run.statuses()["iSCSITMF.AbortTaskSimpleAsync"], "SKIPPED")
        self.assertEqual(run.statuses()["iSCSITMF.LUNResetSimpleAsync"], "SKIPPED")
        for mtl in (0, 8, 65536):           # 0 means no limit
            run = cr.parse(fixture_lines(), max_transfer_length=mtl)
            self.assertEqual(run.statuses()["iSCSITMF.AbortTaskSimpleAsync"], "PASSED", mtl)


class BrokenRuns(unittest.TestCase):
    def test_cut_output_fails_the_unfinished_test_and_flags_the_run(self):
        lines = fixture_lines()
        cut = next(i for i, l in enumerate(lines) if "Test: Logout ..." in l)
        run = cr.parse(lines[:cut + 2])
        self.assertEqual(run.statuses()["Reserve6.Logout"], "FAILED")
        self.assertIn("no CUnit run summary: the run did not finish", run.problems)

    def test_list_marks_tests_that_never_ran(self):
        lines = [l for l in fixture_lines() if "Test: NoMediaSBC" not in l]
        run = cr.parse(lines, test_list=cr.read_test_list(LIST))
        self.assertEqual(run.statuses()["NoMedia.NoMediaSBC"], "FAILED")
        self.assertTrue(any("never ran" in p for p in run.problems))

    def test_full_list_matches_fixture(self):
        run = cr.parse(fixture_lines(), test_list=cr.read_test_list(LIST))
        self.assertEqual(len(run.tests), 43)
        self.assertEqual(run.problems, [])

    def test_failed_suite_is_reported(self):
        lines = [l.replace("suites     11     11    n/a      0", "suites     11     11    n/a      1")
                 for l in fixture_lines()]
        run = cr.parse(lines)
        self.assertIn("CUnit reports 1 suite(s) failed (setup or teardown)", run.problems)

    def test_summary_mismatch_is_reported(self):
        lines = [l.replace("43     43     41      2", "43     43     42      1") for l in fixture_lines()]
        run = cr.parse(lines)
        self.assertTrue(any("disagrees" in p for p in run.problems))


class ExpectedList(unittest.TestCase):
    NOT_PASSING = sorted(
        ["CompareAndWrite.%s" % t for t in ("Simple", "DpoFua", "Miscompare", "Unwritten", "InvalidDataOutSize")]
        + ["ExtendedCopy.%s" % t for t in ("Simple", "ParamHdr", "DescrLimits", "DescrType", "ValidTgtDescr",
                                          "ValidSegDescr")]
        + ["GetLBAStatus.BeyondEol", "GetLBAStatus.UnmapSingle", "Inquiry.BlockLimits",
           "Reserve6.2Initiators", "Reserve6.TargetColdReset", "Reserve6.TargetWarmReset"]
        + ["MultipathIO.%s" % t for t in ("Simple", "Reset", "CompareAndWrite", "CompareAndWriteAsync")])

    def write(self, names, extra=""):
        f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        f.write("# expected not to pass\n\n")
        for n in names:
            f.write("%s  # some reason\n" % n)
        f.write(extra)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_exact_list_passes(self):
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING), FIXTURE)
        self.assertEqual(rc, 0, out)
        self.assertIn("22 passed, 2 failed, 19 skipped", out)

    def test_family_prefix_is_accepted(self):
        rc, out, _ = run_main("--expected", self.write(["ALL." + n for n in self.NOT_PASSING]), FIXTURE)
        self.assertEqual(rc, 0, out)

    def test_unlisted_failure_fails(self):
        names = [n for n in self.NOT_PASSING if n != "GetLBAStatus.BeyondEol"]
        rc, out, _ = run_main("--expected", self.write(names), FIXTURE)
        self.assertEqual(rc, 1)
        self.assertIn("unexpected FAILED: GetLBAStatus.BeyondEol", out)

    def test_unlisted_skip_fails(self):
        names = [n for n in self.NOT_PASSING if n != "Inquiry.BlockLimits"]
        rc, out, _ = run_main("--expected", self.write(names), FIXTURE)
        self.assertEqual(rc, 1)
        self.assertIn("unexpected SKIPPED: Inquiry.BlockLimits", out)

    def test_listed_test_that_passes_fails(self):
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING + ["Inquiry.Standard"]), FIXTURE)
        self.assertEqual(rc, 1)
        self.assertIn("now PASSES", out)
        self.assertIn("Inquiry.Standard", out)

    def test_min_passed(self):
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING), "--min-passed", "23", FIXTURE)
        self.assertEqual(rc, 1)
        self.assertIn("only 22 tests passed", out)

    def test_lists_add_up(self):
        half = len(self.NOT_PASSING) // 2
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING[:half]),
                              "--expected", self.write(self.NOT_PASSING[half:]), FIXTURE)
        self.assertEqual(rc, 0, out)
        self.assertIn("total 43, 21 expected not to pass; OK", out)
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING[1:]), FIXTURE)
        self.assertEqual(rc, 1, "a test missing from both lists")

    def test_test_in_two_lists_is_a_usage_error(self):
        rc, _, err = run_main("--expected", self.write(self.NOT_PASSING),
                              "--expected", self.write(["Inquiry.BlockLimits"]), FIXTURE)
        self.assertEqual(rc, 2)
        self.assertIn("listed twice", err)

    def test_entry_without_reason_is_a_usage_error(self):
        rc, _, err = run_main("--expected", self.write(self.NOT_PASSING, "Inquiry.EVPD\n"), FIXTURE)
        self.assertEqual(rc, 2)
        self.assertIn("no reason", err)

    def test_cut_run_fails_even_if_lists_agree(self):
        lines = fixture_lines()
        f = tempfile.NamedTemporaryFile("w", suffix=".out", delete=False)
        f.writelines(lines[:-6])        # drop the run summary
        f.close()
        self.addCleanup(os.unlink, f.name)
        rc, out, _ = run_main("--expected", self.write(self.NOT_PASSING), f.name)
        self.assertEqual(rc, 1)
        self.assertIn("did not finish", out)


class FullBaselineRun(unittest.TestCase):
    def test_totals_match_issue_5_reference(self):
        with open(FULL, encoding="utf-8") as f:
            run = cr.parse(f, test_list=cr.read_test_list(FULL_LIST))
        self.assertEqual(dict(run.counts()), {"PASSED": 160, "FAILED": 8, "SKIPPED": 62})
        self.assertEqual(len(run.tests), 230)
        self.assertEqual(run.problems, [])

    def test_baseline_file_agrees(self):
        with open(FULL, encoding="utf-8") as f:
            st = cr.parse(f).statuses()
        with open(os.path.join(HERE, "tgtd-baseline.txt"), encoding="utf-8") as f:
            committed = dict(l.split()[:2] for l in f if l.strip() and not l.startswith("#"))
        self.assertEqual(committed, dict(st))

    def test_ci_mode_on_the_full_run(self):
        rc, out, _ = run_main("--expected", TGTD_NOT_PASSING, "--list", FULL_LIST, FULL)
        self.assertEqual(rc, 0, out)
        self.assertIn("total 230, 70 expected not to pass; OK", out)
        # tgtd's pass of Read6.BeyondEol is a silent skip on a 2^21-block LUN
        rc, out, _ = run_main("--expected", TGTD_NOT_PASSING, "--lun-blocks", str(1 << 21),
                              "--min-passed", "200", FULL)
        self.assertEqual(rc, 1)
        self.assertIn("unexpected SKIPPED: Read6.BeyondEol", out)
        self.assertIn("only 159 tests passed, fewer than the required 200", out)


class VerboseLogRun(unittest.TestCase):
    def test_verbose_only_skips_are_seen(self):
        with open(VERBOSE, encoding="utf-8") as f:
            run = cr.parse(f, lun_blocks=1 << 21)
        self.assertTrue(run.verbose_log)
        self.assertEqual(run.problems, [])
        self.assertEqual(dict(run.statuses()), {
            "NoMedia.NoMediaSBC": "SKIPPED",          # "[SKIPPED] LUN is not removable" at LOG_VERBOSE
            "Read6.BeyondEol": "SKIPPED",             # bare CU_PASS, silent even with -V
            "StartStopUnit.Simple": "SKIPPED",
            "StartStopUnit.PwrCnd": "SKIPPED",
            "StartStopUnit.NoLoej": "SKIPPED",
        })

    def test_default_output_is_flagged_as_not_verbose(self):
        self.assertFalse(cr.parse(fixture_lines()).verbose_log)
        _, _, err = run_main(FIXTURE)
        self.assertIn("no libiscsi -V log", err)


class Output(unittest.TestCase):
    def test_per_test_lines(self):
        rc, out, _ = run_main("--tests", FIXTURE)
        self.assertEqual(rc, 0)
        lines = out.splitlines()
        self.assertIn("CompareAndWrite.Simple SKIPPED", lines)
        self.assertIn("GetLBAStatus.BeyondEol FAILED", lines)
        self.assertIn("Inquiry.Standard PASSED", lines)
        self.assertIn("iscsi-test-cu: 22 passed, 2 failed, 19 skipped", lines)

    def test_xml_is_refused(self):
        f = tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False)
        f.write('<?xml version="1.0" ?>\n<CUNIT_TEST_RUN_REPORT/>\n')
        f.close()
        self.addCleanup(os.unlink, f.name)
        rc, _, err = run_main(f.name)
        self.assertEqual(rc, 2)
        self.assertIn("XML", err)


if __name__ == "__main__":
    unittest.main()
