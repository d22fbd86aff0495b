# The Windows installer (docs/windows.md, "The MSI"): build-windows/packages/
# AzureConnectedMachineAgent.msi, built with every `windows` build. The programs and the MSI are
# Authenticode-signed; a release passes its key and certificate, any other build signs with a
# test key it makes once (build-windows/signing/).
set(AZCM_SIGNING_KEY "" CACHE FILEPATH
    "PEM private key that signs the Windows programs and MSI (empty: the build's test key)")
set(AZCM_SIGNING_CERT "" CACHE FILEPATH
    "PEM code-signing certificate of AZCM_SIGNING_KEY (empty: the build's test certificate)")

set(_azcm_packaging ${PROJECT_SOURCE_DIR}/packaging/windows)
if(AZCM_SIGNING_KEY AND AZCM_SIGNING_CERT)
  set(AZCM_SIGNING_KEY_FILE ${AZCM_SIGNING_KEY})
  set(AZCM_SIGNING_CERT_FILE ${AZCM_SIGNING_CERT})
elseif(AZCM_SIGNING_KEY OR AZCM_SIGNING_CERT)
  message(FATAL_ERROR "AZCM_SIGNING_KEY and AZCM_SIGNING_CERT go together")
else()
  set(AZCM_SIGNING_KEY_FILE ${CMAKE_BINARY_DIR}/signing/test-signing.key)
  set(AZCM_SIGNING_CERT_FILE ${CMAKE_BINARY_DIR}/signing/test-signing.crt)
  add_custom_command(OUTPUT ${AZCM_SIGNING_KEY_FILE} ${AZCM_SIGNING_CERT_FILE}
    COMMAND bash ${_azcm_packaging}/make-test-signing-key.sh ${AZCM_SIGNING_KEY_FILE}
            ${AZCM_SIGNING_CERT_FILE}
    COMMENT "Making the build's test code-signing key")
endif()

set(AZCM_MSI ${CMAKE_BINARY_DIR}/packages/AzureConnectedMachineAgent.msi)
add_custom_command(OUTPUT ${AZCM_MSI}
  COMMAND bash ${_azcm_packaging}/build-msi.sh --bin-dir $<TARGET_FILE_DIR:himds>
          --version ${AZCM_VERSION} --out ${AZCM_MSI}
          --key ${AZCM_SIGNING_KEY_FILE} --cert ${AZCM_SIGNING_CERT_FILE} --strip ${CMAKE_STRIP}
  DEPENDS azcmagent azcm_setup himds arcproxy gcservice extservice
          openssl_dlls ${_azcm_packaging}/AzureConnectedMachineAgent.wxs
          ${_azcm_packaging}/DuplicateFile.idt ${_azcm_packaging}/build-msi.sh
          ${AZCM_SIGNING_KEY_FILE} ${AZCM_SIGNING_CERT_FILE}
  COMMENT "Building and signing AzureConnectedMachineAgent.msi ${AZCM_VERSION}")
add_custom_target(msi ALL DEPENDS ${AZCM_MSI})
