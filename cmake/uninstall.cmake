# uninstall.cmake - `make uninstall` (cmake --build BUILD --target uninstall):
# removes what the last `cmake --install` of the build tree installed, as its
# install_manifest.txt lists it (each install replaces that list; it holds
# the paths without DESTDIR: give the same DESTDIR as the install did), then
# sipc's own folders left empty (a folder
# named sipc and those below it: include/sipc, lib/cmake/sipc, lib/sipc,
# share/doc/sipc, share/sipc). Folders other packages share (bin, lib,
# lib/pkgconfig, lib/systemd/system ...) stay.
#   cmake -DMANIFEST=BUILD/install_manifest.txt -P cmake/uninstall.cmake
if(NOT MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "uninstall: no ${MANIFEST}: nothing was installed from this build tree "
    "(or its list was removed); `make install` writes it")
endif()
file(STRINGS "${MANIFEST}" _files)
set(_dirs "")
foreach(f IN LISTS _files)
  set(f "$ENV{DESTDIR}${f}")
  if(IS_SYMLINK "${f}" OR EXISTS "${f}")
    file(REMOVE "${f}")
    message(STATUS "Removed ${f}")
  endif()
  get_filename_component(d "${f}" DIRECTORY)
  list(APPEND _dirs "${d}")
endforeach()
list(REMOVE_DUPLICATES _dirs)
# deepest first, so that a folder emptied by removing its own folders goes too
list(SORT _dirs ORDER DESCENDING)
foreach(d IN LISTS _dirs)
  while(d MATCHES "/sipc(/|$)" AND IS_DIRECTORY "${d}")
    file(GLOB _left "${d}/*" "${d}/.*")
    if(_left)
      break()
    endif()
    file(REMOVE_RECURSE "${d}") # found empty just above
    message(STATUS "Removed ${d}/")
    get_filename_component(d "${d}" DIRECTORY)
  endwhile()
endforeach()
