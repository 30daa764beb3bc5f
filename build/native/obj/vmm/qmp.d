build/native/obj/vmm/qmp.o: vmm/qmp.c vmm/event_loop.h vmm/compiler.h \
 vmm/log.h vmm/json_util.h vmm/qmp_internal.h vmm/json_stream.h vmm/qmp.h \
 vmm/qmp_args.h vmm/qmp_error.h vmm/qmp_socket.h
vmm/event_loop.h:
vmm/compiler.h:
vmm/log.h:
vmm/json_util.h:
vmm/qmp_internal.h:
vmm/json_stream.h:
vmm/qmp.h:
vmm/qmp_args.h:
vmm/qmp_error.h:
vmm/qmp_socket.h:
