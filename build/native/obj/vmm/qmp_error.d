build/native/obj/vmm/qmp_error.o: vmm/qmp_error.c vmm/json_util.h \
 vmm/compiler.h vmm/qmp_error.h
vmm/json_util.h:
vmm/compiler.h:
vmm/qmp_error.h:
