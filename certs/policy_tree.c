/* policy_tree.c - certificate policy processing (RFC 5280 6.1.2 - 6.1.5):
 * the valid_policy_tree with policy mapping, inhibitAnyPolicy and the
 * explicit_policy counter. sipc asks for no particular policy
 * (user-initial-policy-set anyPolicy, and initial-explicit-policy,
 * initial-policy-mapping-inhibit and initial-any-policy-inhibit all
 * false), so a path fails here only when a CA's policyConstraints
 * requireExplicitPolicy takes effect and no policy is valid for the whole
 * path. Qualifiers are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/der.h"
#include "certs/trust_impl.h"

static const uint8_t ANY_POLICY[] = {0x55, 0x1d, 0x20, 0x00};

enum { MAX_NODES = 256, MAX_EXPECTED = 8 };

typedef struct node {
    sipc_bytes policy;
    sipc_bytes expected[MAX_EXPECTED];
    int nexpected;
    int depth, parent, alive;
} node;

typedef struct tree {
    node n[MAX_NODES];
    int count;
    int overflow; /* more nodes or mappings than sipc keeps: fail closed */
} tree;

static bool is_any(const sipc_bytes *p)
{
    return OID_IS(p, ANY_POLICY);
}

static bool same(const sipc_bytes *a, const sipc_bytes *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static int add_node(tree *t, int parent, const sipc_bytes *policy, int depth)
{
    if (t->count == MAX_NODES) {
        t->overflow = 1;
        return -1;
    }
    node *n = &t->n[t->count];
    memset(n, 0, sizeof *n);
    n->policy = *policy;
    n->expected[0] = *policy;
    n->nexpected = 1;
    n->depth = depth;
    n->parent = parent;
    n->alive = 1;
    return t->count++;
}

static bool has_expected(const node *n, const sipc_bytes *p)
{
    for (int i = 0; i < n->nexpected; i++)
        if (same(&n->expected[i], p))
            return true;
    return false;
}

/* Deletes every node above depth that has no live child, bottom up. */
static void prune(tree *t, int depth)
{
    for (int d = depth - 1; d >= 0; d--)
        for (int i = 0; i < t->count; i++) {
            if (!t->n[i].alive || t->n[i].depth != d)
                continue;
            bool child = false;
            for (int k = 0; k < t->count && !child; k++)
                child = t->n[k].alive && t->n[k].parent == i && t->n[k].depth == d + 1;
            if (!child)
                t->n[i].alive = 0;
        }
}

static bool empty(const tree *t)
{
    return !t->n[0].alive;
}

/* Each policy OID of a certificatePolicies content, in order. */
static int next_policy(rd *r, sipc_bytes *oid)
{
    tlv pi, po;
    if (der_expect(r, 0x30, &pi) != 0)
        return -1;
    rd ri = rd_of(&pi.val);
    if (der_expect(&ri, 0x06, &po) != 0)
        return -1;
    *oid = po.val;
    return 0;
}

/* 6.1.3 (d): the tree grows a level for certificate x at depth i. */
static void add_level(tree *t, const sipc_x509 *x, int i, bool any_allowed)
{
    rd r = rd_of(&x->policies);
    bool cert_any = false;
    sipc_bytes p;
    int first_new = t->count;
    while (r.n && next_policy(&r, &p) == 0) {
        if (is_any(&p)) {
            cert_any = true;
            continue;
        }
        bool dup = false;
        for (int k = first_new; k < t->count && !dup; k++)
            dup = same(&t->n[k].policy, &p);
        if (dup)
            continue;
        bool matched = false;
        for (int k = 0; k < first_new; k++)
            if (t->n[k].alive && t->n[k].depth == i - 1 && has_expected(&t->n[k], &p)) {
                add_node(t, k, &p, i);
                matched = true;
            }
        if (!matched)
            for (int k = 0; k < first_new; k++)
                if (t->n[k].alive && t->n[k].depth == i - 1 && is_any(&t->n[k].policy))
                    add_node(t, k, &p, i);
    }
    if (cert_any && any_allowed) {
        for (int k = 0; k < first_new; k++) {
            node *par = &t->n[k];
            if (!par->alive || par->depth != i - 1)
                continue;
            for (int e = 0; e < par->nexpected; e++) {
                bool have = false;
                for (int c = first_new; c < t->count && !have; c++)
                    have = t->n[c].parent == k && same(&t->n[c].policy, &par->expected[e]);
                if (!have) {
                    sipc_bytes ex = par->expected[e];
                    add_node(t, k, &ex, i);
                }
            }
        }
    }
    prune(t, i);
}

/* Each (issuerDomainPolicy, subjectDomainPolicy) of a policyMappings content. */
static int next_mapping(rd *r, sipc_bytes *from, sipc_bytes *to)
{
    tlv m, a, b;
    if (der_expect(r, 0x30, &m) != 0)
        return -1;
    rd rm = rd_of(&m.val);
    if (der_expect(&rm, 0x06, &a) != 0 || der_expect(&rm, 0x06, &b) != 0)
        return -1;
    *from = a.val;
    *to = b.val;
    return 0;
}

/* 6.1.4 (b): policyMappings of x at depth i. */
static void apply_mappings(tree *t, const sipc_x509 *x, int i, bool mapping_allowed)
{
    rd r = rd_of(&x->policy_mappings);
    sipc_bytes from, to;
    /* issuer domain policies already handled, so each is done once */
    sipc_bytes done[32];
    int ndone = 0;
    while (r.n && next_mapping(&r, &from, &to) == 0) {
        bool seen = false;
        for (int k = 0; k < ndone && !seen; k++)
            seen = same(&done[k], &from);
        if (seen)
            continue;
        if (ndone == 32) {
            t->overflow = 1;
            return;
        }
        done[ndone++] = from;
        /* every subject domain policy this issuer domain policy maps to */
        sipc_bytes targets[MAX_EXPECTED];
        int nt = 0;
        rd r2 = rd_of(&x->policy_mappings);
        sipc_bytes f2, t2;
        while (r2.n && next_mapping(&r2, &f2, &t2) == 0)
            if (same(&f2, &from)) {
                if (nt == MAX_EXPECTED) {
                    t->overflow = 1;
                    return;
                }
                targets[nt++] = t2;
            }
        bool found = false;
        for (int k = 0; k < t->count; k++) {
            node *n = &t->n[k];
            if (!n->alive || n->depth != i || !same(&n->policy, &from))
                continue;
            found = true;
            if (mapping_allowed) {
                memcpy(n->expected, targets, sizeof(sipc_bytes) * (size_t)nt);
                n->nexpected = nt;
            } else {
                n->alive = 0;
            }
        }
        if (!found && mapping_allowed) {
            for (int k = 0; k < t->count; k++) {
                node *n = &t->n[k];
                if (!n->alive || n->depth != i || !is_any(&n->policy))
                    continue;
                int c = add_node(t, n->parent, &from, i);
                if (c >= 0) {
                    memcpy(t->n[c].expected, targets, sizeof(sipc_bytes) * (size_t)nt);
                    t->n[c].nexpected = nt;
                }
                break;
            }
        }
    }
    if (!mapping_allowed)
        prune(t, i);
}

static sipc_vfy_status no_policy(const sipc_x509 *const *path, int at, int constrainer,
                                 sipc_vfy_result *res)
{
    return sipc__vfail(res, SIPC_VFY_POLICY, at,
                       "have your CA issue the certificates of the path with a certificate policy "
                       "they all share (or map), or without policyConstraints "
                       "requireExplicitPolicy",
                       "no certificate policy is valid down to certificate '%s', and "
                       "policyConstraints requireExplicitPolicy of '%s' requires one (RFC 5280 "
                       "6.1)",
                       sipc__name_or(path[at]->subject), sipc__name_or(path[constrainer]->subject));
}

sipc_vfy_status sipc__check_policy_tree(const sipc_x509 *const *path, int np, sipc_vfy_result *res)
{
    int n = np - 1; /* the certificates below the anchor; path[np - 1 - i] is RFC's i */
    if (n <= 0)
        return SIPC_VFY_OK;
    tree *t = calloc(1, sizeof *t); /* some 40 KiB: not on a verify callback's stack */
    if (!t)
        return sipc__vfail(res, SIPC_VFY_MALFORMED, -1, "retry; check the memory of this machine",
                           "out of memory while processing certificate policies");
    sipc_bytes any = {ANY_POLICY, sizeof ANY_POLICY};
    add_node(t, -1, &any, 0);
    int explicit_policy = n + 1, inhibit_any = n + 1, policy_mapping = n + 1;
    int constrainer = -1; /* whose requireExplicitPolicy set explicit_policy */
    sipc_vfy_status st = SIPC_VFY_OK;
    for (int i = 1; i <= n; i++) {
        int k = np - 1 - i;
        const sipc_x509 *x = path[k];
        bool self_issued = sipc_x509_self_issued(x);
        if (!empty(t)) {
            if (x->has_policies)
                add_level(t, x, i, inhibit_any > 0 || (i < n && self_issued));
            else
                for (int j = 0; j < t->count; j++)
                    t->n[j].alive = 0; /* 6.1.3 (e) */
        }
        if (t->overflow) {
            st = sipc__vfail(res, SIPC_VFY_MALFORMED, k,
                             "have your CA issue the chain with fewer certificate policies",
                             "certificate '%s' takes the path past %d certificate policy "
                             "nodes, more than sipc processes",
                             sipc__name_or(x->subject), MAX_NODES);
            goto out;
        }
        if (explicit_policy <= 0 && empty(t)) {
            st = no_policy(path, k, constrainer >= 0 ? constrainer : k, res);
            goto out;
        }
        if (i == n)
            break;
        /* 6.1.4 (b), then (h) - (j) */
        if (x->policy_mappings.len && !empty(t)) {
            apply_mappings(t, x, i, policy_mapping > 0);
            if (t->overflow) {
                st = sipc__vfail(res, SIPC_VFY_MALFORMED, k,
                                 "have your CA issue the chain with fewer policy mappings",
                                 "certificate '%s' maps more certificate policies than sipc "
                                 "processes",
                                 sipc__name_or(x->subject));
                goto out;
            }
        }
        if (!self_issued) {
            explicit_policy -= explicit_policy > 0;
            policy_mapping -= policy_mapping > 0;
            inhibit_any -= inhibit_any > 0;
        }
        if (x->require_explicit_policy >= 0 && x->require_explicit_policy < explicit_policy) {
            explicit_policy = x->require_explicit_policy;
            constrainer = k;
        }
        if (x->inhibit_policy_mapping >= 0 && x->inhibit_policy_mapping < policy_mapping)
            policy_mapping = x->inhibit_policy_mapping;
        if (x->inhibit_any_policy >= 0 && x->inhibit_any_policy < inhibit_any)
            inhibit_any = x->inhibit_any_policy;
    }
    /* 6.1.5 (a), (b), (g): the user asked for anyPolicy, nothing to intersect */
    explicit_policy -= explicit_policy > 0;
    if (path[0]->require_explicit_policy == 0) {
        explicit_policy = 0;
        constrainer = 0;
    }
    if (explicit_policy <= 0 && empty(t))
        st = no_policy(path, 0, constrainer >= 0 ? constrainer : 0, res);
out:
    free(t);
    return st;
}
