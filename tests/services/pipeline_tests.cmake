# The pipeline's tests (services/pipeline): the service with three in-process
# data nodes, and the NDJSON records of sipcctl ingest.
add_library(sipc_pipeline_testsupport STATIC pipeline_test_support.c)
target_link_libraries(sipc_pipeline_testsupport PUBLIC sipc_pipeline sipc_data_testsupport)
sipc_add_test(test_pipeline_service SOURCES test_pipeline_service.c LABELS integration TIMEOUT 240
  COST 15)
target_link_libraries(test_pipeline_service PRIVATE sipc_pipeline_testsupport)
sipc_add_test(test_pipeline_ndjson SOURCES test_pipeline_ndjson.c LABELS unit TIMEOUT 60)
target_link_libraries(test_pipeline_ndjson PRIVATE sipc_pipeline_ndjson)
# sipcctl ingest run as a program against the in-process cluster
sipc_add_test(test_pipeline_cli SOURCES test_pipeline_cli.c LABELS integration TIMEOUT 240)
target_link_libraries(test_pipeline_cli PRIVATE sipc_pipeline_testsupport)
add_dependencies(test_pipeline_cli sipcctl)
# the connections at both ends, on 127.1.151.1-3: a producer's connection
# made again at a freed one's address, a destination's connection ended by
# its ERROR, and a destination stopped (a child process, SIGSTOP)
sipc_add_test(test_pipeline_connections SOURCES test_pipeline_connections.c LABELS integration
  TIMEOUT 60)
target_link_libraries(test_pipeline_connections PRIVATE sipc_pipeline_testsupport)
# a freed connection's block given to the next connection (the library's
# calloc and free, wrapped)
target_link_options(test_pipeline_connections PRIVATE "LINKER:--wrap=calloc" "LINKER:--wrap=free")
# a destination's connection being replaced (GOAWAY) refuses a batch with
# SIPC_ECLOSING: retried and committed, not taken for the pipeline shutting
# down (on 127.1.164.3)
sipc_add_test(test_pipeline_goaway SOURCES test_pipeline_goaway.c LABELS integration TIMEOUT 60)
target_link_libraries(test_pipeline_goaway PRIVATE sipc_pipeline_testsupport)
# a destination that stops answering (a child process, SIGSTOP) beside a
# healthy one, and one only slow to answer, on 127.1.244.1-3 (ports the
# kernel picks): a few seconds
sipc_add_test(test_pipeline_unresponsive SOURCES test_pipeline_unresponsive.c LABELS integration
  TIMEOUT 60)
target_link_libraries(test_pipeline_unresponsive PRIVATE sipc_pipeline_testsupport)
