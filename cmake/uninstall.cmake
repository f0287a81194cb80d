# uninstall.cmake - `make uninstall` (cmake --build BUILD --target uninstall):
# removes what the last `cmake --install` of the build tree installed, as its
# install_manifest.txt lists it (each install replaces that list; it holds
# the paths without DESTDIR), then sipc's own folders that are left empty:
# include/sipc, lib/cmake/sipc, lib/sipc, share/doc/sipc, share/sipc and the
# folders below them, under the prefix of that install, as the
# install_record.cmake it wrote next to the list names them. A folder is
# removed with rmdir, which fails on one that is not empty: a file sipc did
# not install keeps its folder. Folders other packages share (bin, lib,
# lib/pkgconfig, lib/systemd/system ...) stay. The DESTDIR must be the one
# the install had (the record says which): with another, the list would
# name other files, such as a real installation under /usr/local.
#   cmake -DMANIFEST=BUILD/install_manifest.txt [-DRECORD=FILE] -P cmake/uninstall.cmake
if(NOT MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "uninstall: no ${MANIFEST}: nothing was installed from this build tree "
    "(or its list was removed); `make install` writes it")
endif()
if(NOT RECORD)
  get_filename_component(RECORD "${MANIFEST}" DIRECTORY)
  set(RECORD "${RECORD}/install_record.cmake")
endif()
set(SIPC_INSTALL_OWN_DIRS "")
if(EXISTS "${RECORD}")
  include("${RECORD}")
  if(NOT "$ENV{DESTDIR}" STREQUAL "${SIPC_INSTALL_DESTDIR}")
    if("${SIPC_INSTALL_DESTDIR}" STREQUAL "")
      set(_was "no DESTDIR")
    else()
      set(_was "DESTDIR=${SIPC_INSTALL_DESTDIR}")
    endif()
    message(FATAL_ERROR "uninstall: the last install from this build tree had ${_was}, and "
      "${MANIFEST} lists its files without it: run it again with that DESTDIR (nothing was "
      "removed)")
  endif()
else()
  message(WARNING "uninstall: no ${RECORD} (an install by an older sipc): the files the list "
    "names under DESTDIR='$ENV{DESTDIR}' are removed, no folder is")
endif()

# f, a path of the list, is in or below one of sipc's own folders
function(sipc_in_own f out)
  set(${out} 0 PARENT_SCOPE)
  foreach(o IN LISTS SIPC_INSTALL_OWN_DIRS)
    string(LENGTH "${o}/" n)
    string(SUBSTRING "${f}/" 0 ${n} head)
    if(head STREQUAL "${o}/")
      set(${out} 1 PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

file(STRINGS "${MANIFEST}" _files)
set(_dirs "")
foreach(f IN LISTS _files)
  set(p "$ENV{DESTDIR}${f}")
  if(IS_SYMLINK "${p}" OR EXISTS "${p}")
    file(REMOVE "${p}")
    message(STATUS "Removed ${p}")
  endif()
  # its folders up to sipc's own top folder, never above
  get_filename_component(d "${f}" DIRECTORY)
  cmake_path(NORMAL_PATH d) # as the record's (a prefix given as /usr/local/)
  string(REGEX REPLACE "(.)/$" "\\1" d "${d}")
  sipc_in_own("${d}" own)
  while(own)
    list(APPEND _dirs "${d}")
    get_filename_component(d "${d}" DIRECTORY)
    sipc_in_own("${d}" own)
  endwhile()
endforeach()
list(REMOVE_DUPLICATES _dirs)
# deepest first, so that a folder emptied by removing its own folders goes too
list(SORT _dirs ORDER DESCENDING)
foreach(d IN LISTS _dirs)
  set(p "$ENV{DESTDIR}${d}")
  if(IS_DIRECTORY "${p}" AND NOT IS_SYMLINK "${p}")
    execute_process(COMMAND rmdir -- "${p}" RESULT_VARIABLE r ERROR_QUIET)
    if(r EQUAL 0)
      message(STATUS "Removed ${p}/")
    endif()
  endif()
endforeach()
