# Qt runtime deployment for the install tree (and so for CPack NSIS/ZIP).
# Included from packaging/CMakeLists.txt on WIN32 (or with -DWSGATE_DEPLOY_QT=ON elsewhere,
# where Qt's script only prints that it skips deployment).
#
# Qt 6.4 signature: qt_generate_deploy_app_script(TARGET t FILENAME_VARIABLE var
#                                                  [NO_UNSUPPORTED_PLATFORM_ERROR])
# (Qt 6.5 renamed FILENAME_VARIABLE to OUTPUT_SCRIPT; 6.4 does not know the new name.)
# On Windows the generated script runs windeployqt on bin/<target>.exe at install time:
# Qt DLLs, plugins (platforms, tls, styles) and a qt.conf land next to the executables.
# The executables are installed to bin/ by app/CMakeLists.txt, which is QT_DEPLOY_BIN_DIR's
# default (CMAKE_INSTALL_BINDIR).

include(GNUInstallDirs)

foreach(wsgate_deploy_target IN ITEMS wsgated wsgate)
    if(TARGET ${wsgate_deploy_target})
        qt_generate_deploy_app_script(
            TARGET ${wsgate_deploy_target}
            FILENAME_VARIABLE wsgate_deploy_script
            NO_UNSUPPORTED_PLATFORM_ERROR
        )
        install(SCRIPT "${wsgate_deploy_script}")
    endif()
endforeach()
