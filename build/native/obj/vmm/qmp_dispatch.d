build/native/obj/vmm/qmp_dispatch.o: vmm/qmp_dispatch.c vmm/log.h \
 vmm/compiler.h vmm/qmp_internal.h vmm/json_stream.h vmm/qmp.h \
 vmm/qmp_args.h vmm/qmp_error.h vmm/qmp_socket.h
vmm/log.h:
vmm/compiler.h:
vmm/qmp_internal.h:
vmm/json_stream.h:
vmm/qmp.h:
vmm/qmp_args.h:
vmm/qmp_error.h:
vmm/qmp_socket.h:
