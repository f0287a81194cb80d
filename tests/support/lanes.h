/* lanes.h - cmocka groups run side by side, each in a process of its own.
 * For tests whose cases mostly wait out real time (backoffs, timers, grace
 * periods): run one after the other, their waits add up; in lanes, the
 * longest lane is the test's time. Each case still runs alone in its lane,
 * with its own loop, as it did before. */
#ifndef SIPC_TEST_LANES_H
#define SIPC_TEST_LANES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

typedef struct tu_lane {
    const char *name;               /* prefixes each line of its output */
    const struct CMUnitTest *tests;
    size_t n;
    CMFixtureFunction setup;        /* the group's setup, or NULL */
} tu_lane;

/* A lane of a whole array of cases. */
#define TU_LANE(name, tests, setup) {(name), (tests), sizeof(tests) / sizeof((tests)[0]), (setup)}
/* Two lanes of one group cut in halves: "NAME 1/2" and "NAME 2/2". */
#define TU_LANE_HALVES(name, first, second, setup) \
    TU_LANE(name " 1/2", first, setup), TU_LANE(name " 2/2", second, setup)

/* Runs every lane at once, each as a cmocka group in a child process, and
 * passes their output on line by line as it comes, each line prefixed with
 * "[NAME] ". Returns the number of lanes that failed (a test failed, or the
 * child died or could not be started). A child dies with this process. */
int tu_run_lanes(const tu_lane *lanes, size_t n);

#endif
